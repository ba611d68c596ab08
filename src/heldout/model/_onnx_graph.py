"""A small builder of ONNX graphs: constants and nodes by name, one output each.

``onnx`` is imported when a graph is built, never when heldout is: it is an optional extra
(``pip install 'heldout[onnx]'``).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

OPSETS = {"": 17, "ai.onnx.ml": 3}  # the default domain's opset, and ONNX-ML's (LabelEncoder)


def require_onnx():
    """The ``onnx`` module, or a ConfigError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise ConfigError(
            "Exporting to ONNX needs the onnx package. Install it with: pip install "
            "'heldout[onnx]' (or pip install onnx onnxruntime)."
        ) from None
    return onnx


class Graph:
    """Nodes and initialisers, each value named uniquely from a hint."""

    def __init__(self):
        self.onnx = require_onnx()
        self.nodes, self.initializers, self._count = [], [], 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, value, dtype=np.float64, hint: str = "const") -> str:
        """A constant tensor (a scalar broadcasts), as an initialiser."""
        name = self.name(hint)
        array = (
            np.asarray(value, dtype=dtype)
            if dtype is not object
            else np.asarray(value, dtype=object)
        )
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(
        self, op_type: str, *inputs: str, domain: str = "", hint: str | None = None, **attributes
    ) -> str:
        """One node with one output; its name."""
        out = self.name(hint or op_type.lower())
        self.nodes.append(
            self.onnx.helper.make_node(op_type, list(inputs), [out], domain=domain, **attributes)
        )
        return out

    def cast(self, value: str, to: str) -> str:
        return self.op("Cast", value, to=getattr(self.onnx.TensorProto, to))

    def affine(self, value: str, subtract: float, divide: float) -> str:
        """``(value − subtract) / divide`` in double."""
        return self.op("Div", self.op("Sub", value, self.const(subtract)), self.const(divide))

    def floor_div(self, value: str, by: float) -> str:
        return self.op("Floor", self.op("Div", value, self.const(by)))

    def linear(self, value: str, times: float, plus: float = 0.0) -> str:
        """``value × times + plus`` in double."""
        scaled = self.op("Mul", value, self.const(times))
        return scaled if plus == 0.0 else self.op("Add", scaled, self.const(plus))

    def model(self, inputs: list, outputs: list, name: str, doc: str, metadata: dict[str, str]):
        """The checked ModelProto of these nodes, with ``inputs`` and ``outputs`` as
        ``(name, TensorProto type name, shape)``."""
        helper, onnx = self.onnx.helper, self.onnx

        def info(entries):
            return [
                helper.make_tensor_value_info(n, getattr(onnx.TensorProto, t), shape)
                for n, t, shape in entries
            ]

        graph = helper.make_graph(
            self.nodes, name, info(inputs), info(outputs), self.initializers, doc_string=doc
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_opsetid(d, v) for d, v in OPSETS.items()],
            producer_name="heldout",
        )
        model.ir_version = min(model.ir_version, 9)  # runtimes of the last years read IR 9
        helper.set_model_props(model, metadata)
        onnx.checker.check_model(model)
        return model
