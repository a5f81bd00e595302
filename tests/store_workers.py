"""Child-process scripts for the store's concurrency and crash-safety checks.

Shared by tests/scenarios/test_store.py (assertions) and bench/scenarios.py (figures). Each prints
"ready" once it has imported and opened the store, so the parent can start them together.
"""

# argv: url, worker number, saves, go-file path. Waits for the go file, saves, prints a JSON report.
WORKER = r"""
import json, sys, time
from planning.scenarios import Store
from planning.scenarios import Scenario
from planning.access import operator
OPERATOR = operator("store worker")
url, worker, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
store = Store(url)
levers = [{"kind": "volume_change", "percent": p} for p in (5, 10, 15)]
import os
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
started = time.perf_counter()
ok, errors = 0, []
for i in range(count):
    try:
        store.save(Scenario(name=f"w{worker}-{i}", base="data/sample", levers=levers, notes=str(i)), who=OPERATOR)
        ok += 1
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}"[:200])
print(json.dumps({"ok": ok, "errors": errors, "seconds": time.perf_counter() - started}))
"""

# argv: url, round, levers per scenario. Saves scenarios forever until the parent SIGKILLs it.
KILL_WORKER = r"""
import sys
from planning.scenarios import Store
from planning.scenarios import Scenario
from planning.access import operator
OPERATOR = operator("store worker")
url, round_, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(url)
levers = [{"kind": "volume_change", "percent": p % 90 + 1, "queue": f"q{p}"} for p in range(size)]
print("ready", flush=True)
i = 0
while True:
    store.save(Scenario(name=f"k{round_}-{i}", base="data/sample", levers=levers, notes=str(size)), who=OPERATOR)
    i += 1
"""
