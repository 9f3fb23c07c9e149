"""The PyTensor frontend: FunctionGraph → IR, one small rule per PyTensor op class."""

from compiler.frontend import (  # noqa: F401  (each module registers its rules)
    control,
    elemwise,
    extra_ops,
    gamma_inc,
    graphs,
    indexing,
    linalg,
    linalg_eigen,
    linalg_qr,
    nlinalg,
    nn,
    reductions,
    scalar_loop,
    scan,
    shape_ops,
    signal,
    slinalg,
    tensor_ops,
    unique,
)
from compiler.frontend.importer import (
    FrontendOptions,
    Importer,
    Unsupported,
    import_fgraph,
    import_op,
)

__all__ = ["FrontendOptions", "Importer", "Unsupported", "import_fgraph", "import_op"]
