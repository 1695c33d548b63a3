"""App-free parts at the bottom of the layers (docs/architecture.md): money, listing and
paging, forms and widgets, CSV streaming, database timeouts and the import machinery both
imports use. Nothing here imports an app."""
