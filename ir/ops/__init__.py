"""The ``tir`` dialect: every op class, registered by name in ``ir.core.OP_REGISTRY``."""

from ir.ops.control import *  # noqa: F403
from ir.ops.elementwise import *  # noqa: F403
from ir.ops.indexing import *  # noqa: F403
from ir.ops.linalg import *  # noqa: F403
from ir.ops.misc import *  # noqa: F403
from ir.ops.nn import *  # noqa: F403
from ir.ops.reduction import *  # noqa: F403
from ir.ops.shape import *  # noqa: F403
from ir.ops.special import *  # noqa: F403
from ir.ops.special_bessel import *  # noqa: F403
from ir.ops.special_beta import *  # noqa: F403
from ir.ops.special_inverse import *  # noqa: F403
from ir.ops.sum_square import *  # noqa: F403
from ir.ops.tensor import *  # noqa: F403
