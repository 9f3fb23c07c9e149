"""The PyTensor frontend: FunctionGraph → IR, one small rule per PyTensor op class."""

from compiler.frontend import elemwise, graphs, tensor_ops  # noqa: F401  (registers the rules)
from compiler.frontend.importer import (
    FrontendOptions,
    Importer,
    Unsupported,
    import_fgraph,
    import_op,
)

__all__ = ["FrontendOptions", "Importer", "Unsupported", "import_fgraph", "import_op"]
