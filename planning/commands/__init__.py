"""CLI subcommands. Each module here defines ``register(subparsers)``; the parser it adds
sets ``func`` to a callable ``(args) -> int`` (the exit code). ``planning.cli`` discovers
the modules, so adding a command never edits a shared file."""
