"""Keras optimizers: Keras names and defaults (``learning_rate``, ``epsilon=1e-7``...) over
``lightgrad.optim``. The lightgrad optimizer is created when the model's weights exist."""

from __future__ import annotations

from typing import Any

from .. import optim

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "Nadam", "get"]


class Optimizer:
    """A Keras optimizer: its config, and the ``lightgrad.optim`` optimizer it drives."""

    _torch_cls: Any = None

    def __init__(self, learning_rate: float = 0.001, **kwargs: Any) -> None:
        self.inner: Any = None
        self._lr = float(learning_rate)
        self.config = kwargs
        self.iterations = 0

    @property
    def learning_rate(self) -> float:
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self.set_learning_rate(value)

    def _inner_kwargs(self) -> dict:
        return {}

    def build(self, params: list) -> None:
        """Create the lightgrad optimizer over ``params``."""
        self.inner = self._torch_cls(params, lr=self.learning_rate, **self._inner_kwargs())

    def zero_grad(self) -> None:
        self.inner.zero_grad(set_to_none=True)

    def step(self) -> None:
        self.inner.step()
        self.iterations += 1

    def set_learning_rate(self, lr: float) -> None:
        self._lr = float(lr)
        if self.inner is not None:
            for g in self.inner.param_groups:
                g["lr"] = float(lr)

    def get_config(self) -> dict:
        return {"learning_rate": self.learning_rate, **self.config}

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        return cls(**config)


class SGD(Optimizer):
    _torch_cls = optim.SGD

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float | None = None, **kw: Any) -> None:
        super().__init__(learning_rate, momentum=momentum, nesterov=nesterov,
                         weight_decay=weight_decay)

    def _inner_kwargs(self) -> dict:
        c = self.config
        return {"momentum": c["momentum"], "nesterov": c["nesterov"],
                "weight_decay": c["weight_decay"] or 0.0}


class Adam(Optimizer):
    _torch_cls = optim.Adam

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
                 weight_decay: float | None = None, **kw: Any) -> None:
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                         amsgrad=amsgrad, weight_decay=weight_decay)

    def _inner_kwargs(self) -> dict:
        c = self.config
        return {"betas": (c["beta_1"], c["beta_2"]), "eps": c["epsilon"],
                "amsgrad": c["amsgrad"], "weight_decay": c["weight_decay"] or 0.0}


class AdamW(Adam):
    _torch_cls = optim.AdamW  # type: ignore[assignment]

    def __init__(self, learning_rate: float = 0.001, weight_decay: float = 0.004,
                 **kw: Any) -> None:
        super().__init__(learning_rate, weight_decay=weight_decay, **kw)


class Adamax(Optimizer):
    _torch_cls = optim.Adamax

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kw: Any) -> None:
        super().__init__(learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)

    def _inner_kwargs(self) -> dict:
        c = self.config
        return {"betas": (c["beta_1"], c["beta_2"]), "eps": c["epsilon"]}


class Nadam(Adamax):
    _torch_cls = optim.NAdam  # type: ignore[assignment]


class RMSprop(Optimizer):
    _torch_cls = optim.RMSprop

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False, **kw: Any) -> None:
        super().__init__(learning_rate, rho=rho, momentum=momentum, epsilon=epsilon,
                         centered=centered)

    def _inner_kwargs(self) -> dict:
        c = self.config
        return {"alpha": c["rho"], "momentum": c["momentum"], "eps": c["epsilon"],
                "centered": c["centered"]}


class Adagrad(Optimizer):
    _torch_cls = optim.Adagrad

    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, **kw: Any) -> None:
        super().__init__(learning_rate, initial_accumulator_value=initial_accumulator_value,
                         epsilon=epsilon)

    def _inner_kwargs(self) -> dict:
        c = self.config
        return {"initial_accumulator_value": c["initial_accumulator_value"],
                "eps": c["epsilon"]}


class Adadelta(Optimizer):
    _torch_cls = optim.Adadelta

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 **kw: Any) -> None:
        super().__init__(learning_rate, rho=rho, epsilon=epsilon)

    def _inner_kwargs(self) -> dict:
        return {"rho": self.config["rho"], "eps": self.config["epsilon"]}


_BY_NAME: dict[str, Any] = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop,
                            "adagrad": Adagrad, "adadelta": Adadelta, "adamax": Adamax,
                            "nadam": Nadam}


def get(identifier: Any) -> Optimizer:
    """A Keras optimizer from a name (``"adam"``), an instance, or a ``lightgrad.optim`` class."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}; known: "
                             f"{sorted(_BY_NAME)}")
        return _BY_NAME[key]()
    if isinstance(identifier, dict):
        return _BY_NAME[identifier["class_name"].lower()].from_config(identifier["config"])
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r}")
