"""An import-linter contract type the built-in ones cannot express (pyproject.toml):
modules that must not reach ``django.db``, directly or through any project module they
import. import-linter keeps an external package as one node ("django"), so this reads the
lines that import it."""

from importlinter import Contract, ContractCheck, fields, output


class NoDatabaseContract(Contract):
    """``modules`` (and every project module they import, however indirectly) never import
    from ``forbidden`` (default ``django.db``): pure functions of values."""

    type_name = "no_database"

    modules = fields.ListField(subfield=fields.StringField())
    forbidden = fields.StringField(required=False, default="django.db")

    def check(self, graph, verbose: bool) -> ContractCheck:
        forbidden = str(self.forbidden)
        found = []
        for module in self.modules:
            name = str(module)
            reached = {name} | graph.find_upstream_modules(name)  # what it imports, however indirectly
            for importer in sorted(reached):
                for imported in graph.find_modules_directly_imported_by(importer):
                    if imported.split(".")[0] != forbidden.split(".")[0]:
                        continue
                    for detail in graph.get_import_details(importer=importer, imported=imported):
                        line = detail["line_contents"]
                        if forbidden in line:
                            found.append((name, importer, detail["line_number"], line))
        return ContractCheck(kept=not found, metadata={"found": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for pure, importer, line_number, line in check.metadata["found"]:
            via = "" if importer == pure else f" (through {importer})"
            output.print_error(f"{pure}{via} imports {self.forbidden}: {importer}:{line_number} {line}")
            output.new_line()
