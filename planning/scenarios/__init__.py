"""What-if scenarios: levers, running a scenario through the pipeline, the scenario store.

Public names, loaded on first use (so that a child process importing one module, such as
the HiGHS solver child, does not pull in the rest):
"""
from planning._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "cross_training": ["Candidate", "CrossTrainingReport", "candidates", "value_of_cross_training", "with_skill"],
    "forecast_levers": ["AhtChange", "AutomationChange", "Surge", "VolumeChange"],
    "lever_base": ["DEFAULT_PAID_HOURS_PER_WEEK", "LeverError", "MAX_SHRINKAGE"],
    "levers": ["LEVER_KINDS", "Lever", "apply_levers", "explain", "lever_to_dict", "parse_lever",
        "parse_levers"],
    "operation_levers": ["CostChange", "ShrinkageChange", "SiteCap", "SiteOutage", "SlaChange", "Training"],
    "scenario": ["BaseNotAllowed", "PlanSettings", "Scenario", "ScenarioInputError", "allowed_bases", "compare",
        "compare_wide", "kpis_to_json", "labels", "load_base", "resolve_base", "run_scenario", "what_changed"],
    "site_levers": ["AddCertification", "AddSite", "RemoveCertification", "RemoveSite", "RemoveVendor"],
    "reach": ["Horizon", "Reach", "lever_date_defaults", "lever_reach", "plan_horizon", "reach_warnings"],
    "store": ["Store"],
    "team_levers": ["AddTeamCertification", "RemoveTeamCertification", "TeamCap"],
    "store_errors": ["StoreError", "StoreUnavailable", "explain_database_error"],
})
