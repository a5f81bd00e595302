"""Levers on the vendor book: adding or removing a site or a vendor, and certifications.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from planning.domain import ALL, Certification, Operation, ShiftTemplate, Site
from planning.scenarios.lever_base import LeverError, _Lever, _need_market, _need_queue, _need_site, _scope, _sites_in_scope


def _site_scope(site: str, vendor: str) -> str:
    if site != ALL:
        return f"site {site}"
    return "every site" if vendor == ALL else f"every site of vendor {vendor}"


class CertificationSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    queue: str
    market: str


class ShiftSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    shift: str = Field(min_length=1)
    start: dt.time
    paid_hours: float = Field(gt=0, le=16)


class AddSite(_Lever):
    """A new site (possibly of a new vendor) with its certifications and shift templates."""

    kind: Literal["add_site"] = "add_site"
    site: Site
    certifications: list[CertificationSpec] = Field(min_length=1)
    shifts: list[ShiftSpec] = Field(min_length=1)

    def describe(self) -> str:
        s = self.site
        return (f"Add site {s.site} ({s.vendor}, {s.timezone}) with up to {s.max_headcount} agents at "
                f"{s.hourly_cost:g}/h, certified for {len(self.certifications)} queue x market pairs")

    def apply_operation(self, op):
        if self.site.site in op.sites:
            raise LeverError(f"site '{self.site.site}' already exists; pick a new site id")
        for c in self.certifications:
            _need_queue(op, c.queue, wildcard=False)
            _need_market(op, c.market)
        certs = [Certification(site=self.site.site, queue=c.queue, market=c.market) for c in self.certifications]
        shifts = [ShiftTemplate(site=self.site.site, shift=s.shift, start=s.start, paid_hours=s.paid_hours)
                  for s in self.shifts]
        return dataclasses.replace(op, sites={**op.sites, self.site.site: self.site},
                                   certifications=[*op.certifications, *certs], shifts=[*op.shifts, *shifts])


def _drop_sites(op: Operation, gone: set[str]) -> Operation:
    adj = op.site_adjustments
    if adj is not None:
        adj = adj[~adj["site"].isin(gone)].reset_index(drop=True)
    return dataclasses.replace(
        op, sites={k: v for k, v in op.sites.items() if k not in gone},
        certifications=[c for c in op.certifications if c.site not in gone],
        shifts=[s for s in op.shifts if s.site not in gone], site_adjustments=adj)


class RemoveSite(_Lever):
    """A site leaves the operation (contract ends): its certifications and shifts go too."""

    kind: Literal["remove_site"] = "remove_site"
    site: str

    def describe(self) -> str:
        return f"Remove site {self.site}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        return _drop_sites(op, {self.site})


class RemoveVendor(_Lever):
    """A vendor leaves: every site of the vendor goes."""

    kind: Literal["remove_vendor"] = "remove_vendor"
    vendor: str = Field(min_length=1)

    def describe(self) -> str:
        return f"Remove vendor {self.vendor} (all its sites)"

    def apply_operation(self, op):
        return _drop_sites(op, set(_sites_in_scope(op, ALL, self.vendor)))


class AddCertification(_Lever):
    """A site becomes certified for a queue x market pair."""

    kind: Literal["add_certification"] = "add_certification"
    site: str
    queue: str
    market: str

    def describe(self) -> str:
        return f"Certify site {self.site} for queue {self.queue}, market {self.market}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        _need_queue(op, self.queue, wildcard=False)
        _need_market(op, self.market)
        if self.market == ALL:
            raise LeverError("add_certification needs one market, not *")
        if self.site in op.certified_sites(self.queue, self.market):
            return op
        cert = Certification(site=self.site, queue=self.queue, market=self.market)
        return dataclasses.replace(op, certifications=[*op.certifications, cert])


class RemoveCertification(_Lever):
    """A site loses its certification for a queue (and market; ``*`` = all markets)."""

    kind: Literal["remove_certification"] = "remove_certification"
    site: str
    queue: str
    market: str = ALL

    def describe(self) -> str:
        return f"Remove certification of site {self.site} for {_scope(self.queue, self.market)}"

    def apply_operation(self, op):
        _need_site(op, self.site, wildcard=False)
        _need_queue(op, self.queue)
        _need_market(op, self.market)
        keep = [c for c in op.certifications if not (
            c.site == self.site and self.queue in (ALL, c.queue) and self.market in (ALL, c.market))]
        return dataclasses.replace(op, certifications=keep)
