"""Simulation of staffing and plans against arrivals: the per-pair discrete-event engine
(``pairs``, a fast check) and the agent-level simulation that judges a plan (``agents``).

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "pairs": ["simulate_queue", "simulate_staffing"],
    "agents": ["simulate_agents", "AgentSimResult", "default_certifications"],
})
