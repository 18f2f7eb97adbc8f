"""Case roles: the parts people outside the directory play in one cycle (`case_roles:`).

    case_roles:
      family_contact: {title: Family contact, receives_personal: true}

An officer gives a cycle its contacts in these roles (`cycle contacts add`); a reminder may be
addressed to one (`to: [case_role:family_contact]`), and nothing else is ever sent to them.
Their mail carries the case's fields; the personal ones only when the role `receives_personal`.
"""

from __future__ import annotations

from workflow.definition.loader_base import BuilderBase


class PartySections(BuilderBase):
    """`case_roles:`, and the check that someone may give a cycle its contacts."""

    def read_case_roles(self) -> None:
        for rid, raw, line in self.r.entries(self.section("case_roles"), "case_roles"):
            field = f"case_roles.{rid}"
            node = self.r.mapping(raw, line, field)
            if node is None:
                continue
            self.r.keys(node, ("title", "receives_personal"), field)
            title = self.r.get(node, "title", field, str, default=rid.replace("_", " ").capitalize())
            self.case_roles[rid] = " ".join(title.split())
            if self.r.get(node, "receives_personal", field, bool, required=False, default=False):
                self.personal_case_roles.add(rid)
        if self.case_roles:
            self._checks.append(self.check_contacts_permission)

    def check_contacts_permission(self) -> None:
        if not self.permissions.get("contacts") and "permissions" in self.root:
            node = self.root["permissions"]
            self.r.problem(getattr(node, "line", self.root.line_of("permissions")), "permissions.contacts",
                           "the definition has case roles, but no role may add a cycle's contacts: grant "
                           "'contacts' under permissions (e.g. contacts: [partnership_officer])")
