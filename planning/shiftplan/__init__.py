"""The shift planner: the MIP model and its named constraints, solving (LP rounding, HiGHS
children), outputs, the checker and the diagnosis.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "build": ["build_model"],
    "cases": ["scaled_operation"],
    "check": ["Violation", "check_plan"],
    "constraints": ["HARD_CONSTRAINTS", "deadline_lag_intervals"],
    "objective": ["SOFT_TERMS"],
    "diagnosis": ["explain", "precheck"],
    "headcount": ["team_headcount"],
    "remedy": ["Remedies"],
    "highsmip": ["MipRun", "proto_arrays"],
    "model": ["EPS", "PlanModel", "SHORTFALL_PENALTY_FACTOR", "WORKING_DAYS_PER_WEEK"],
    "output": ["build_frames"],
    "planner": ["PlanOptions", "attach_simulation", "extract_result", "simulate_plan", "simulate_plan_pairs", "solve_plan"],
    "loop": ["plan_and_check", "LoopRound"],
    "rounding": ["lp_relaxation", "round_and_fix"],
})
