"""Movement ops (lightgrad/ops/movement.py): parity with PyTorch, errors, views and versions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lightgrad
from tests.helpers import OpCase, case_id, check_case, check_raises, torch

pytestmark = pytest.mark.torch


def _n(*shape):
    return lambda r: [r.standard_normal(shape)]


def _ints(*shape):
    return lambda r: [r.integers(-5, 6, shape)]


def _bools(*shape):
    return lambda r: [r.integers(0, 2, shape).astype(bool)]


def _nT(*shape):  # a transposed (non-contiguous) input
    return lambda r: [r.standard_normal(shape[::-1]).T]


def F(lib):
    return lib.nn.functional


# ----------------------------------------------------------------------------- reshape family
RESHAPE_CASES = [
    OpCase("reshape_infer", lambda lib, x: x.reshape(2, -1), _n(3, 4), ("Reshape",), "movement"),
    OpCase("reshape_fn_tuple", lambda lib, x: lib.reshape(x, (-1, 3)), _n(2, 3, 2), ("Reshape",),
           "movement"),
    OpCase("reshape_list_arg", lambda lib, x: x.reshape([4, 3]), _n(2, 6), ("Reshape",),
           "movement"),
    OpCase("reshape_noncontig_copies", lambda lib, x: x.mT.reshape(-1), _n(3, 4),
           ("Permute", "Clone", "Reshape"), "movement"),
    OpCase("reshape_T_input", lambda lib, x: x.reshape(6, 2), _nT(3, 4), ("Clone", "Reshape"),
           "movement"),
    OpCase("unsqueeze_T_input", lambda lib, x: x.unsqueeze(1).squeeze(1), _nT(3, 4),
           ("Reshape",), "movement"),
    OpCase("reshape_0d_up", lambda lib, x: x.reshape(1, 1), _n(), ("Reshape",), "movement"),
    OpCase("reshape_to_0d", lambda lib, x: x.reshape(()), _n(1), ("Reshape",), "movement"),
    OpCase("reshape_size0", lambda lib, x: x.reshape(4, 0), _n(2, 0, 4), ("Reshape",),
           "movement"),
    OpCase("reshape_int", lambda lib, x: x.reshape(-1), _ints(3, 4), ("Reshape",)),
    OpCase("reshape_bool", lambda lib, x: lib.reshape(x, (2, 2, 3)), _bools(4, 3), ("Reshape",)),
    OpCase("reshape_expanded_copies", lambda lib, x: x.expand(2, 3).reshape(-1), _n(3),
           ("Expand", "Clone", "Reshape"), "movement"),
    OpCase("view", lambda lib, x: x.view(4, 3), _n(2, 6), ("Reshape",), "movement"),
    OpCase("view_infer", lambda lib, x: x.view(-1), _n(2, 3, 2), ("Reshape",), "movement"),
    OpCase("view_noncontig_split_dim", lambda lib, x: x.transpose(0, 1).view(3, 2, 2, 2),
           _n(2, 3, 4), ("Permute", "Reshape"), "movement"),
    OpCase("view_noncontig_unit_dim", lambda lib, x: x.mT.view(4, 1, 3), _n(3, 4),
           ("Permute", "Reshape"), "movement"),
    OpCase("view_as", lambda lib, x, y: x.view_as(y), lambda r: [r.standard_normal((2, 6)),
                                                                 r.standard_normal((3, 4))],
           ("Reshape",), "movement", nondiff=(1,)),
    OpCase("reshape_as", lambda lib, x, y: x.reshape_as(y), lambda r: [r.standard_normal(6),
                                                                       r.integers(0, 3, (3, 2))],
           ("Reshape",), "movement"),
    OpCase("flatten", lambda lib, x: x.flatten(), _n(2, 3, 2), ("Reshape",), "movement"),
    OpCase("flatten_fn_start", lambda lib, x: lib.flatten(x, 1), _n(2, 3, 2), ("Reshape",),
           "movement"),
    OpCase("flatten_kw_mid", lambda lib, x: x.flatten(start_dim=1, end_dim=-2), _n(2, 3, 2, 2),
           ("Reshape",), "movement"),
    OpCase("flatten_0d", lambda lib, x: x.flatten(), _n(), ("Reshape",), "movement"),
    OpCase("flatten_same_dim", lambda lib, x: x.flatten(1, 1) * 1, _n(2, 3), (), "movement"),
    OpCase("flatten_noncontig", lambda lib, x: x.mT.flatten(), _n(3, 4),
           ("Permute", "Clone", "Reshape"), "movement"),
    OpCase("ravel", lambda lib, x: lib.ravel(x), _n(3, 2), ("Reshape",), "movement"),
    OpCase("unflatten", lambda lib, x: x.unflatten(1, (2, -1)), _n(3, 6), ("Reshape",),
           "movement"),
    OpCase("unflatten_fn_neg", lambda lib, x: lib.unflatten(x, -1, (3, 2)), _n(2, 6),
           ("Reshape",), "movement"),
    OpCase("squeeze_all", lambda lib, x: x.squeeze(), _n(1, 3, 1, 2), ("Reshape",), "movement"),
    OpCase("squeeze_dim", lambda lib, x: x.squeeze(0), _n(1, 3, 1, 2), ("Reshape",), "movement"),
    OpCase("squeeze_tuple", lambda lib, x: x.squeeze((0, -2)), _n(1, 3, 1, 2), ("Reshape",),
           "movement"),
    OpCase("squeeze_non1_noop", lambda lib, x: lib.squeeze(x, dim=1), _n(1, 3), ("Reshape",),
           "movement"),
    OpCase("squeeze_0d", lambda lib, x: x.squeeze(), _n(), ("Reshape",), "movement"),
    OpCase("squeeze_int", lambda lib, x: x.squeeze(-1), _ints(3, 1), ("Reshape",)),
    OpCase("unsqueeze_last", lambda lib, x: x.unsqueeze(-1), _n(2, 3), ("Reshape",), "movement"),
    OpCase("unsqueeze_0d", lambda lib, x: x.unsqueeze(0), _n(), ("Reshape",), "movement"),
    OpCase("unsqueeze_fn_int", lambda lib, x: lib.unsqueeze(x, 1), _ints(2, 3), ("Reshape",)),
    OpCase("unsqueeze_noncontig", lambda lib, x: x.mT.unsqueeze(1), _n(2, 3),
           ("Permute", "Reshape"), "movement"),
]

# ----------------------------------------------------------------------------- axes
PERMUTE_CASES = [
    OpCase("permute", lambda lib, x: x.permute(2, 0, 1), _n(2, 3, 4), ("Permute",), "movement"),
    OpCase("permute_tuple_neg", lambda lib, x: x.permute((1, -1, 0)), _n(2, 3, 2), ("Permute",),
           "movement"),
    OpCase("permute_fn_int", lambda lib, x: lib.permute(x, (1, 0)), _ints(2, 3), ("Permute",)),
    OpCase("permute_bool", lambda lib, x: x.permute(1, 0), _bools(2, 3), ("Permute",)),
    OpCase("permute_size0", lambda lib, x: x.permute(2, 0, 1), _n(0, 3, 2), ("Permute",),
           "movement"),
    OpCase("permute_0d", lambda lib, x: x.permute(()), _n(), ("Permute",), "movement"),
    OpCase("transpose", lambda lib, x: x.transpose(0, -1), _n(2, 3, 4), ("Permute",),
           "movement"),
    OpCase("transpose_fn", lambda lib, x: lib.transpose(x, 1, 2), _n(2, 3, 2), ("Permute",),
           "movement"),
    OpCase("transpose_same_dim", lambda lib, x: x.transpose(1, 1), _n(2, 3), ("Permute",),
           "movement"),
    OpCase("swapaxes", lambda lib, x: lib.swapaxes(x, 0, 1), _n(2, 3), ("Permute",), "movement"),
    OpCase("swapdims_method", lambda lib, x: x.swapdims(-1, 0), _n(2, 3), ("Permute",),
           "movement"),
    OpCase("t_2d", lambda lib, x: x.t(), _n(2, 3), ("Permute",), "movement"),
    OpCase("t_1d", lambda lib, x: lib.t(x), _n(3), ("Permute",), "movement"),
    OpCase("T_2d", lambda lib, x: x.T, _n(2, 3), ("Permute",), "movement"),
    OpCase("mT_3d", lambda lib, x: x.mT, _n(2, 3, 4), ("Permute",), "movement"),
    OpCase("mT_int", lambda lib, x: x.mT, _ints(2, 3), ("Permute",)),
    OpCase("movedim", lambda lib, x: x.movedim(0, -1), _n(2, 3, 4), ("Permute",), "movement"),
    OpCase("movedim_tuple", lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), _n(2, 3, 4),
           ("Permute",), "movement"),
    OpCase("movedim_0d", lambda lib, x: x.movedim(0, -1), _n(), ("Permute",), "movement"),
    OpCase("moveaxis", lambda lib, x: lib.moveaxis(x, -1, 1), _n(2, 3, 2), ("Permute",),
           "movement"),
]

# ----------------------------------------------------------------------------- expand / repeat
EXPAND_CASES = [
    OpCase("expand", lambda lib, x: x.expand(2, -1, 4), _n(3, 1), ("Expand",), "movement"),
    OpCase("expand_tuple", lambda lib, x: x.expand((3, 4)), _n(1, 4), ("Expand",), "movement"),
    OpCase("expand_0d", lambda lib, x: x.expand(2, 3), _n(), ("Expand",), "movement"),
    OpCase("expand_size0", lambda lib, x: x.expand(0, 3), _n(1, 3), ("Expand",), "movement"),
    OpCase("expand_same", lambda lib, x: x.expand(2, 3), _n(2, 3), ("Expand",), "movement"),
    OpCase("expand_int", lambda lib, x: x.expand(2, 2, 3), _ints(1, 3), ("Expand",)),
    OpCase("expand_noncontig", lambda lib, x: x.mT.expand(2, 3, 2), _n(2, 3),
           ("Permute", "Expand"), "movement"),
    OpCase("expand_as", lambda lib, x, y: x.expand_as(y), lambda r: [r.standard_normal((3, 1)),
                                                                     r.standard_normal((2, 3, 4))],
           ("Expand",), "movement", nondiff=(1,)),
    OpCase("broadcast_to", lambda lib, x: lib.broadcast_to(x, (2, 3)), _n(3), ("Expand",),
           "movement"),
    OpCase("broadcast_tensors", lambda lib, x, y: lib.broadcast_tensors(x, y),
           lambda r: [r.standard_normal((3, 1)), r.standard_normal(4)], ("Expand",), "movement"),
    OpCase("repeat", lambda lib, x: x.repeat(2, 3), _n(2, 3), ("Repeat",), "movement"),
    OpCase("repeat_new_dim", lambda lib, x: x.repeat(2, 1, 2), _n(2, 3), ("Repeat",),
           "movement"),
    OpCase("repeat_0d", lambda lib, x: x.repeat(3), _n(), ("Repeat",), "movement"),
    OpCase("repeat_zero", lambda lib, x: x.repeat(0, 2), _n(2, 3), ("Repeat",), "movement"),
    OpCase("repeat_tuple_noncontig", lambda lib, x: x.mT.repeat((1, 2)), _n(2, 3),
           ("Permute", "Repeat"), "movement"),
    OpCase("repeat_int", lambda lib, x: x.repeat(2, 2), _ints(2, 3), ("Repeat",)),
    OpCase("tile", lambda lib, x: x.tile((2,)), _n(2, 3), ("Repeat",), "movement"),
    OpCase("tile_fn", lambda lib, x: lib.tile(x, (2, 1, 2)), _n(3, 2), ("Repeat",), "movement"),
]

# ----------------------------------------------------------------------------- cat / stack
def _two(s1, s2):
    return lambda r: [r.standard_normal(s1), r.standard_normal(s2)]


CAT_CASES = [
    OpCase("cat_dim0", lambda lib, x, y: lib.cat([x, y]), _two((2, 3), (1, 3)), ("Cat",),
           "movement"),
    OpCase("cat_dim1_kw", lambda lib, x, y: lib.cat((x, y), dim=1), _two((2, 3), (2, 1)),
           ("Cat",), "movement"),
    OpCase("cat_three_neg", lambda lib, x, y, z: lib.cat([x, y, z], -1),
           lambda r: [r.standard_normal((2, 2)), r.standard_normal((2, 1)),
                      r.standard_normal((2, 3))], ("Cat",), "movement"),
    OpCase("cat_promote_int", lambda lib, x, y: lib.cat([x, y]),
           lambda r: [r.standard_normal((2, 3)), r.integers(-3, 3, (1, 3))], ("Cat",),
           "movement"),
    OpCase("cat_bool_int", lambda lib, x, y: lib.cat([x, y], 1),
           lambda r: [r.integers(0, 2, (2, 3)).astype(bool), r.integers(-3, 3, (2, 2))],
           ("Cat",)),
    OpCase("cat_bool", lambda lib, x, y: lib.cat([x, y]),
           lambda r: [r.integers(0, 2, (2, 3)).astype(bool), r.integers(0, 2, (1, 3)) > 0],
           ("Cat",)),
    OpCase("cat_size0", lambda lib, x, y: lib.cat([x, y]), _two((0, 3), (2, 3)), ("Cat",),
           "movement"),
    OpCase("cat_legacy_empty_1d", lambda lib, x, y: lib.cat([x, y]), _two((2, 3), (0,)),
           ("Cat",), "movement"),
    OpCase("cat_noncontig", lambda lib, x, y: lib.cat([x.mT, y], 0), _two((3, 2), (1, 3)),
           ("Permute", "Cat"), "movement"),
    OpCase("concat", lambda lib, x, y: lib.concat([x, y], 1), _two((2, 1), (2, 2)), ("Cat",),
           "movement"),
    OpCase("concatenate", lambda lib, x, y: lib.concatenate([x, y], dim=0), _two((1,), (2,)),
           ("Cat",), "movement"),
    OpCase("cat_T_inputs", lambda lib, x, y: lib.cat([x, y], 1),
           lambda r: [r.standard_normal((3, 2)).T, r.standard_normal((2, 1))], ("Cat",),
           "movement"),
    OpCase("cat_single", lambda lib, x: lib.cat([x], 1), _n(2, 3), ("Cat",), "movement"),
    OpCase("stack", lambda lib, x, y: lib.stack([x, y]), _two((2, 3), (2, 3)), ("Stack",),
           "movement"),
    OpCase("stack_last", lambda lib, x, y, z: lib.stack((x, y, z), dim=-1),
           lambda r: [r.standard_normal((2, 2)) for _ in range(3)], ("Stack",), "movement"),
    OpCase("stack_0d", lambda lib, x, y: lib.stack([x, y]), _two((), ()), ("Stack",),
           "movement"),
    OpCase("stack_promote", lambda lib, x, y: lib.stack([x, y], 1),
           lambda r: [r.standard_normal((2, 3)), r.integers(-3, 3, (2, 3))], ("Stack",),
           "movement"),
    OpCase("stack_bool", lambda lib, x, y: lib.stack([x, y]),
           lambda r: [r.integers(0, 2, (2,)) > 0, r.integers(0, 2, (2,)) > 0], ("Stack",)),
    OpCase("stack_size0", lambda lib, x, y: lib.stack([x, y], 1), _two((0, 2), (0, 2)),
           ("Stack",), "movement"),
    OpCase("hstack_1d", lambda lib, x, y: lib.hstack([x, y]), _two((2,), (3,)), ("Cat",),
           "movement"),
    OpCase("hstack_2d", lambda lib, x, y: lib.hstack((x, y)), _two((2, 1), (2, 3)), ("Cat",),
           "movement"),
    OpCase("vstack", lambda lib, x, y: lib.vstack([x, y]), _two((3,), (2, 3)),
           ("Reshape", "Cat"), "movement"),
    OpCase("dstack", lambda lib, x, y: lib.dstack([x, y]), _two((2, 3), (2, 3)),
           ("Reshape", "Cat"), "movement"),
    OpCase("atleast_2d", lambda lib, x, y, z: lib.atleast_2d(x, y, z),
           lambda r: [r.standard_normal(()), r.standard_normal(3), r.standard_normal((2, 2))],
           ("Reshape",), "movement"),
    OpCase("atleast_3d", lambda lib, x, y, z: lib.atleast_3d((x, y, z)),
           lambda r: [r.standard_normal(()), r.standard_normal(3), r.standard_normal((2, 2))],
           ("Reshape",), "movement"),
    OpCase("atleast_1d_single", lambda lib, x: lib.atleast_1d(x), _n(), ("Reshape",),
           "movement"),
]

# ----------------------------------------------------------------------------- splitting
SPLIT_CASES = [
    OpCase("split_size", lambda lib, x: x.split(2), _n(5, 3), ("Narrow",), "movement"),
    OpCase("split_sections_kw", lambda lib, x: lib.split(x, [1, 3], dim=1), _n(2, 4),
           ("Narrow",), "movement"),
    OpCase("split_neg_dim", lambda lib, x: x.split(2, dim=-1), _n(2, 4), ("Narrow",),
           "movement"),
    OpCase("split_size0_dim", lambda lib, x: x.split(0), _n(0, 2), ("Narrow",), "movement"),
    OpCase("split_zero_sections", lambda lib, x: x.split([0, 3, 0]), _n(3), ("Narrow",),
           "movement"),
    OpCase("split_noncontig", lambda lib, x: x.mT.split(1), _n(2, 3), ("Permute", "Narrow"),
           "movement"),
    OpCase("split_int", lambda lib, x: x.split(2, 1), _ints(2, 5), ("Narrow",)),
    OpCase("chunk", lambda lib, x: x.chunk(3), _n(5, 2), ("Narrow",), "movement"),
    OpCase("chunk_fn_dim", lambda lib, x: lib.chunk(x, 4, dim=1), _n(2, 6), ("Narrow",),
           "movement"),
    OpCase("chunk_size0", lambda lib, x: x.chunk(3), _n(0, 2), ("Narrow",), "movement"),
    OpCase("unbind", lambda lib, x: x.unbind(1), _n(2, 3), ("Narrow",), "movement"),
    OpCase("unbind_1d_to_0d", lambda lib, x: lib.unbind(x), _n(3), ("Narrow",), "movement"),
    OpCase("unbind_bool", lambda lib, x: x.unbind(-1), _bools(2, 2), ("Narrow",)),
    OpCase("tensor_split_sections", lambda lib, x: x.tensor_split(3), _n(7), ("Narrow",),
           "movement"),
    OpCase("tensor_split_indices", lambda lib, x: lib.tensor_split(x, [1, 9, 2, -1], dim=1),
           _n(2, 5), ("Narrow",), "movement"),
    OpCase("narrow", lambda lib, x: x.narrow(1, 1, 2), _n(2, 4), ("Narrow",), "movement"),
    OpCase("narrow_fn_neg", lambda lib, x: lib.narrow(x, -1, -2, 2), _n(2, 4), ("Narrow",),
           "movement"),
    OpCase("narrow_empty", lambda lib, x: x.narrow(0, 3, 0), _n(3, 2), ("Narrow",), "movement"),
]

# ----------------------------------------------------------------------------- pad
PAD_CASES = [
    OpCase("pad_constant", lambda lib, x: F(lib).pad(x, (1, 2)), _n(2, 3), ("Pad",), "movement"),
    OpCase("pad_constant_value_2d", lambda lib, x: F(lib).pad(x, (1, 0, 2, 1), value=1.5),
           _n(2, 3), ("Pad",), "movement"),
    OpCase("pad_constant_all_dims", lambda lib, x: F(lib).pad(x, [1, 1, 0, 1, 1, 0]),
           _n(2, 2, 2), ("Pad",), "movement"),
    OpCase("pad_constant_crop", lambda lib, x: F(lib).pad(x, (-1, 2, 0, -1)), _n(3, 4),
           ("Pad",), "movement"),
    OpCase("pad_constant_crop_only", lambda lib, x: F(lib).pad(x, (-1, -1), mode="constant"),
           _n(2, 4), ("Pad",), "movement"),
    OpCase("pad_constant_int", lambda lib, x: F(lib).pad(x, (1, 1), value=3), _ints(2, 3),
           ("Pad",)),
    OpCase("pad_constant_size0", lambda lib, x: F(lib).pad(x, (1, 1)), _n(0, 3), ("Pad",),
           "movement"),
    OpCase("pad_constant_noncontig", lambda lib, x: F(lib).pad(x.mT, (0, 1, 1, 0)), _n(2, 3),
           ("Permute", "Pad"), "movement"),
    OpCase("pad_reflect_T_input", lambda lib, x: F(lib).pad(x, (1, 2), mode="reflect"),
           _nT(2, 4), ("Pad",), "movement"),
    OpCase("pad_reflect_1d", lambda lib, x: F(lib).pad(x, (2, 1), mode="reflect"), _n(2, 4),
           ("Pad",), "movement"),
    OpCase("pad_reflect_2d_batched", lambda lib, x: F(lib).pad(x, (1, 2, 2, 1), mode="reflect"),
           _n(1, 1, 3, 4), ("Pad",), "movement"),
    OpCase("pad_reflect_crop", lambda lib, x: F(lib).pad(x, (-1, 2), mode="reflect"), _n(2, 4),
           ("Pad",), "movement"),
    OpCase("pad_replicate_1d", lambda lib, x: F(lib).pad(x, (2, 3), mode="replicate"), _n(2, 3),
           ("Pad",), "movement"),
    OpCase("pad_replicate_2d", lambda lib, x: F(lib).pad(x, (3, 1, 1, 2), "replicate"),
           _n(1, 2, 3, 3), ("Pad",), "movement"),
    OpCase("pad_replicate_3d", lambda lib, x: F(lib).pad(x, (1, 1, 1, 0, 0, 1), "replicate"),
           _n(1, 2, 2, 3), ("Pad",), "movement"),
    OpCase("pad_replicate_crop", lambda lib, x: F(lib).pad(x, (-2, 1), mode="replicate"),
           _n(2, 4), ("Pad",), "movement"),
    OpCase("pad_circular_1d", lambda lib, x: F(lib).pad(x, (2, 1), mode="circular"), _n(2, 3),
           ("Pad",), "movement"),
    OpCase("pad_circular_2d", lambda lib, x: F(lib).pad(x, (1, 1, 2, 0), mode="circular"),
           _n(1, 2, 3, 2), ("Pad",), "movement"),
    OpCase("pad_circular_crop", lambda lib, x: F(lib).pad(x, (-1, 2), mode="circular"),
           _n(1, 2, 4), ("Pad",), "movement"),
    OpCase("pad_circular_full_wrap", lambda lib, x: F(lib).pad(x, (3, 3), mode="circular"),
           _n(2, 3), ("Pad",), "movement"),
    OpCase("pad_reflect_int", lambda lib, x: F(lib).pad(x, (1, 1), mode="reflect"),
           _ints(2, 3), ("Pad",)),
]

# ----------------------------------------------------------------------------- reorder / masks
MISC_CASES = [
    OpCase("flip", lambda lib, x: x.flip(0), _n(3, 2), ("Flip",), "movement"),
    OpCase("flip_two_dims", lambda lib, x: x.flip(0, -1), _n(3, 2), ("Flip",), "movement"),
    OpCase("flip_fn_list", lambda lib, x: lib.flip(x, [0, 2]), _n(2, 2, 3), ("Flip",),
           "movement"),
    OpCase("flip_T_input", lambda lib, x: lib.flip(x, (0, 1)), _nT(2, 3), ("Flip",),
           "movement"),
    OpCase("flip_0d", lambda lib, x: x.flip(0), _n(), ("Flip",), "movement"),
    OpCase("flip_empty_dims", lambda lib, x: lib.flip(x, ()), _n(2, 3), ("Flip",), "movement"),
    OpCase("flip_int", lambda lib, x: x.flip(1), _ints(2, 3), ("Flip",)),
    OpCase("flip_noncontig", lambda lib, x: x.mT.flip(0), _n(2, 3), ("Permute", "Flip"),
           "movement"),
    OpCase("fliplr", lambda lib, x: lib.fliplr(x), _n(2, 3), ("Flip",), "movement"),
    OpCase("flipud", lambda lib, x: x.flipud(), _n(3, 2), ("Flip",), "movement"),
    OpCase("roll", lambda lib, x: x.roll(1, 0), _n(3, 2), ("Roll",), "movement"),
    OpCase("roll_two", lambda lib, x: lib.roll(x, (1, -2), (0, 1)), _n(3, 4), ("Roll",),
           "movement"),
    OpCase("roll_flat", lambda lib, x: x.roll(2), _n(3, 2), ("Roll",), "movement"),
    OpCase("roll_kw_large", lambda lib, x: lib.roll(x, shifts=-7, dims=-1), _n(2, 3), ("Roll",),
           "movement"),
    OpCase("roll_0d", lambda lib, x: x.roll(1), _n(), ("Roll",), "movement"),
    OpCase("roll_size0", lambda lib, x: x.roll(1, 1), _n(2, 0), ("Roll",), "movement"),
    OpCase("roll_int_noncontig", lambda lib, x: x.mT.roll(1, 0), _ints(2, 3),
           ("Permute", "Roll")),
    OpCase("tril", lambda lib, x: x.tril(), _n(3, 4), ("Tril",), "movement"),
    OpCase("tril_fn_neg", lambda lib, x: lib.tril(x, -1), _n(2, 3, 3), ("Tril",), "movement"),
    OpCase("tril_bool", lambda lib, x: x.tril(1), _bools(3, 3), ("Tril",)),
    OpCase("triu", lambda lib, x: x.triu(diagonal=1), _n(4, 3), ("Triu",), "movement"),
    OpCase("triu_fn_int", lambda lib, x: lib.triu(x, -1), _ints(3, 3), ("Triu",)),
    OpCase("triu_noncontig", lambda lib, x: x.mT.triu(), _n(3, 2), ("Permute", "Triu"),
           "movement"),
    OpCase("tril_inplace", lambda lib, x: (x * 1).tril_(), _n(3, 3), ("Tril",), "movement"),
    OpCase("clone", lambda lib, x: x.clone(), _n(2, 3), ("Clone",), "movement"),
    OpCase("clone_noncontig_int", lambda lib, x: lib.clone(x.mT), _ints(2, 3),
           ("Permute", "Clone")),
    OpCase("contiguous_noncontig", lambda lib, x: x.mT.contiguous(), _n(2, 3),
           ("Permute", "Clone"), "movement"),
    OpCase("contiguous_already", lambda lib, x: x.contiguous() * 1, _n(2, 3), (), "movement"),
    OpCase("copy_broadcast", lambda lib, x, s: x.clone().copy_(s), _two((2, 3), (3,)),
           ("Clone", "Copy"), "movement"),
    OpCase("copy_into_fresh", lambda lib, s: lib.zeros(2, 3, dtype=s.dtype).copy_(s), _n(1, 3),
           ("Copy",), "movement"),
    OpCase("copy_cross_dtype", lambda lib, x, s: x.clone().copy_(s.double()),
           _two((2, 2), (2, 2)), ("Copy",), "movement"),
    OpCase("copy_int_src", lambda lib, x, s: x.clone().copy_(s),
           lambda r: [r.standard_normal((2, 3)), r.integers(-3, 3, (2, 3))], ("Copy",),
           "movement"),
    OpCase("copy_float_to_int", lambda lib, x, s: x.clone().copy_(s),
           lambda r: [r.integers(-3, 3, (2, 3)), r.standard_normal((2, 3)) * 3], ("Copy",),
           grad=False),  # an integer output: nothing to differentiate
    OpCase("diagonal", lambda lib, x: x.diagonal(), _n(3, 4), ("Diagonal",), "movement"),
    OpCase("diagonal_fn_offset_dims", lambda lib, x: lib.diagonal(x, 1, -1, 0), _n(3, 2, 4),
           ("Diagonal",), "movement"),
    OpCase("diagonal_neg_offset", lambda lib, x: x.diagonal(offset=-1), _n(3, 3),
           ("Diagonal",), "movement"),
    OpCase("diagonal_past_end", lambda lib, x: x.diagonal(5), _n(2, 3), ("Diagonal",),
           "movement"),
    OpCase("diag_vector", lambda lib, x: lib.diag(x), _n(3), ("DiagEmbed",), "movement"),
    OpCase("diag_vector_offset", lambda lib, x: x.diag(1), _n(3), ("DiagEmbed",), "movement"),
    OpCase("diag_matrix", lambda lib, x: lib.diag(x, -1), _n(3, 4), ("Diagonal",), "movement"),
    OpCase("diag_embed", lambda lib, x: lib.diag_embed(x), _n(2, 3), ("DiagEmbed",),
           "movement"),
    OpCase("diag_embed_dims", lambda lib, x: lib.diag_embed(x, offset=-1, dim1=0, dim2=2),
           _n(2, 3), ("DiagEmbed",), "movement"),
    OpCase("diag_embed_int", lambda lib, x: x.diag_embed(1), _ints(2), ("DiagEmbed",)),
]

ALL = RESHAPE_CASES + PERMUTE_CASES + EXPAND_CASES + CAT_CASES + SPLIT_CASES + PAD_CASES + \
    MISC_CASES


@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_parity(case, rng):
    check_case(case, rng)


# ----------------------------------------------------------------------------- errors
def _a(*shape):
    return np.zeros(shape)


RAISES = [
    ("reshape_size", lambda lib, x: x.reshape(5, -1), [_a(2, 3)], r"reshape.*\[5, -1\].*6"),
    ("reshape_two_infer", lambda lib, x: x.reshape(-1, -1), [_a(2, 3)],
     r"reshape: only one dimension can be inferred"),
    ("reshape_negative", lambda lib, x: x.reshape(2, -2), [_a(2, 3)],
     r"reshape: invalid shape dimension -2"),
    ("reshape_ambiguous", lambda lib, x: x.reshape(-1, 0), [_a(0, 3)],
     r"reshape: cannot reshape tensor of 0 elements"),
    ("reshape_float_size", lambda lib, x: x.reshape(2.0, 3), [_a(2, 3)],
     r"reshape: argument 'shape' must be a tuple of ints.*float"),
    ("view_size", lambda lib, x: x.view(4, -1), [_a(2, 3)], r"view.*\[4, -1\].*6"),
    ("view_stride", lambda lib, x: x.mT.view(6), [_a(2, 3)],
     r"view: view size is not compatible.*\(3, 2\).*Use \.reshape"),
    ("permute_repeated", lambda lib, x: x.permute(0, 0), [_a(2, 3)], r"permute: duplicate dims"),
    ("permute_length", lambda lib, x: x.permute(0), [_a(2, 3)],
     r"permute: .*input.dim\(\) = 2.*len\(dims\) = 1"),
    ("permute_range", lambda lib, x: x.permute(0, 2), [_a(2, 3)],
     r"permute: Dimension out of range"),
    ("transpose_range", lambda lib, x: x.transpose(0, 3), [_a(2, 3)],
     r"transpose: Dimension out of range"),
    ("t_3d", lambda lib, x: x.t(), [_a(2, 3, 4)], r"t: t\(\) expects a tensor with <= 2"),
    ("mT_1d", lambda lib, x: x.mT, [_a(3)], r"mT: .*Got 1-D tensor"),
    ("movedim_len", lambda lib, x: x.movedim((0, 1), (1,)), [_a(2, 3)],
     r"movedim: Invalid source or destination"),
    ("movedim_repeat", lambda lib, x: x.movedim((0, 0), (1, 0)), [_a(2, 3)],
     r"movedim: repeated dim in `source`"),
    ("expand_nonsingleton", lambda lib, x: x.expand(2, 4), [_a(2, 3)],
     r"expand: The expanded size of the tensor \(4\) must match the existing size \(3\).*"
     r"\[2, 4\].*\[2, 3\]"),
    ("expand_too_few", lambda lib, x: x.expand(3), [_a(2, 3)],
     r"expand: the number of sizes provided \(1\).*\(2\)"),
    ("expand_leading_neg", lambda lib, x: x.expand(-1, 2, 3), [_a(2, 3)],
     r"expand: .*\(-1\) isn't allowed in a leading, non-existing dimension 0"),
    ("broadcast_tensors_bad", lambda lib, x, y: lib.broadcast_tensors(x, y), [_a(2, 3), _a(4)],
     r"broadcast_tensors: .*\(2, 3\) and \(4,\)"),
    ("repeat_too_few", lambda lib, x: x.repeat(2), [_a(2, 3)],
     r"repeat: Number of dimensions of repeat dims can not be smaller"),
    ("cat_ndim", lambda lib, x, y: lib.cat([x, y]), [_a(2, 3), _a(2, 3, 1)],
     r"cat: Tensors must have same number of dimensions: got 2 and 3 \(shapes \(2, 3\) and "
     r"\(2, 3, 1\)\)"),
    ("cat_sizes", lambda lib, x, y: lib.cat([x, y]), [_a(2, 3), _a(2, 4)],
     r"cat: Sizes of tensors must match except in dimension 0.*\(2, 3\) and \(2, 4\)"),
    ("cat_0d", lambda lib, x, y: lib.cat([x, y]), [_a(), _a()],
     r"cat: zero-dimensional tensor \(at position 0\)"),
    ("cat_empty_list", lambda lib: lib.cat([]), [], r"cat: expected a non-empty list"),
    ("cat_dim_range", lambda lib, x, y: lib.cat([x, y], 2), [_a(2, 3), _a(2, 3)],
     r"cat: Dimension out of range"),
    ("cat_not_tensor", lambda lib, x: lib.cat([x, 1.0]), [_a(2)], r"cat: expected Tensor"),
    ("stack_sizes", lambda lib, x, y: lib.stack([x, y]), [_a(2, 3), _a(2, 4)],
     r"stack: .*\[2, 3\] at entry 0 and \[2, 4\] at entry 1"),
    ("stack_empty", lambda lib: lib.stack([]), [], r"stack: expects a non-empty"),
    ("split_sum", lambda lib, x: x.split([2, 3]), [_a(6)],
     r"split: split_with_sizes expects split_sizes to sum exactly to 6"),
    ("split_negative", lambda lib, x: x.split(-1), [_a(6)],
     r"split: split expects split_size be non-negative"),
    ("split_zero", lambda lib, x: x.split(0), [_a(4)], r"split: split_size can only be 0"),
    ("chunk_zero", lambda lib, x: x.chunk(0), [_a(4)], r"chunk: .*greater than 0, got: 0"),
    ("unbind_0d", lambda lib, x: x.unbind(), [_a()], r"unbind: "),
    ("narrow_length", lambda lib, x: x.narrow(0, 2, 5), [_a(3)],
     r"narrow: start \(2\) \+ length \(5\) exceeds dimension size \(3\)"),
    ("narrow_start", lambda lib, x: x.narrow(0, 5, 0), [_a(3)],
     r"narrow: start out of range .*\[-3, 3\].*5"),
    ("narrow_negative_length", lambda lib, x: x.narrow(0, 1, -1), [_a(3)],
     r"narrow: .*length must be non-negative"),
    ("unflatten_sizes", lambda lib, x: x.unflatten(1, (2, 2)), [_a(2, 6)],
     r"unflatten: Provided sizes \[2, 2\] don't multiply up to the size of dim 1 \(6\)"),
    ("flatten_order", lambda lib, x: x.flatten(1, 0), [_a(2, 3)],
     r"flatten: .*start_dim cannot come after end_dim"),
    ("squeeze_range", lambda lib, x: x.squeeze(2), [_a(2, 3)], r"squeeze: Dimension out of range"),
    ("unsqueeze_range", lambda lib, x: x.unsqueeze(3), [_a(2, 3)],
     r"unsqueeze: Dimension out of range.*\[-3, 2\]"),
    ("split_0d", lambda lib, x: x.split(1), [_a()], r"split: split expects at least a 1-dim"),
    ("chunk_0d", lambda lib, x: x.chunk(1), [_a()], r"chunk: chunk expects at least a 1-dim"),
    ("unflatten_0d", lambda lib, x: x.unflatten(0, (1,)), [_a()],
     r"unflatten: Dimension specified as 0 but tensor has no dimensions"),
    ("reshape_no_shape", lambda lib, x: x.reshape(), [_a(1)], r"reshape: missing 1 required"),
    ("view_no_size", lambda lib, x: x.view(), [_a(1)], r"view: missing 1 required"),
    ("pad_odd", lambda lib, x: F(lib).pad(x, (1, 2, 3)), [_a(2, 3)],
     r"pad: Padding length must be divisible by 2"),
    ("pad_too_long", lambda lib, x: F(lib).pad(x, (1,) * 6), [_a(2, 3)],
     r"pad: Padding length should be less than or equal to two times the input dimension"),
    ("pad_negative_size", lambda lib, x: F(lib).pad(x, (-3, -1)), [_a(2, 3)],
     r"pad: The input size 3, plus negative padding -3 and -1"),
    ("pad_crop_too_much", lambda lib, x: F(lib).pad(x, (-3, 2)), [_a(2)],
     r"pad: negative padding \(-3, 2\) crops more than the size 2"),
    ("pad_mode", lambda lib, x: F(lib).pad(x, (1, 1), mode="bogus"), [_a(2, 3)],
     r"pad: Unrecognised padding mode 'bogus'"),
    ("pad_reflect_big", lambda lib, x: F(lib).pad(x, (4, 0), mode="reflect"), [_a(1, 2, 4)],
     r"pad: .*Padding size should be less than the corresponding input dimension.*\(4, 0\)"),
    ("pad_circular_wrap", lambda lib, x: F(lib).pad(x, (5, 0), mode="circular"), [_a(1, 2, 4)],
     r"pad: Padding value causes wrapping around more than once"),
    ("pad_reflect_value", lambda lib, x: F(lib).pad(x, (1, 1), "reflect", value=2.0),
     [_a(1, 2, 3)], r"pad: Padding mode \"reflect\" doesn't take in value argument"),
    ("pad_reflect_1d_input", lambda lib, x: F(lib).pad(x, (1, 1), mode="reflect"), [_a(4)],
     r"pad: Padding size 2 is not supported for 1D input"),
    ("pad_replicate_dims", lambda lib, x: F(lib).pad(x, (1, 1, 1, 1), mode="replicate"),
     [_a(2, 4)], r"pad: Padding size 4 is not supported for 2D input"),
    ("pad_reflect_empty", lambda lib, x: F(lib).pad(x, (1, 1), mode="reflect"), [_a(1, 0, 3)],
     r"pad: Expected 2D or 3D \(batch mode\) tensor .*\(1, 0, 3\)"),
    ("pad_replicate_too_small", lambda lib, x: F(lib).pad(x, (-2, -1), mode="replicate"),
     [_a(1, 3)], r"pad: input of shape \(1, 3\) is too small for padding \(-2, -1\)"),
    ("flip_repeated", lambda lib, x: lib.flip(x, (0, 0)), [_a(3, 2)],
     r"flip: dim 0 appears multiple times"),
    ("flip_range", lambda lib, x: x.flip(2), [_a(3, 2)], r"flip: Dimension out of range"),
    ("roll_align", lambda lib, x: lib.roll(x, (1, 2), (0,)), [_a(3, 2)],
     r"roll: shifts and dimensions must align. shifts: 2, dims: 1"),
    ("roll_align_none", lambda lib, x: lib.roll(x, (1, 2)), [_a(3, 2)],
     r"roll: shifts and dimensions must align"),
    ("roll_0d_dim", lambda lib, x: x.roll(1, 0), [_a()],
     r"roll: Dimension specified as 0 but tensor has no dimensions"),
    ("roll_no_shifts", lambda lib, x: x.roll((), ()), [_a(3)], r"roll: `shifts` required"),
    ("flip_no_dims", lambda lib, x: x.flip(), [_a(3)], r"flip: missing 1 required"),
    ("tril_1d", lambda lib, x: x.tril(), [_a(3)], r"tril: input tensor must have at least 2"),
    ("triu_0d", lambda lib, x: x.triu(), [_a()], r"triu: input tensor must have at least 2"),
    ("diagonal_same_dims", lambda lib, x: x.diagonal(0, 1, 1), [_a(2, 3)],
     r"diagonal: diagonal dimensions cannot be identical"),
    ("diag_3d", lambda lib, x: lib.diag(x), [_a(2, 2, 2)], r"diag: matrix or a vector expected"),
    ("copy_broadcast", lambda lib, x, y: x.copy_(y), [_a(2, 3), _a(4)],
     r"copy_: the source of shape \(4,\) cannot be broadcast to the destination shape \(2, 3\)"),
    ("copy_broadcast_bigger", lambda lib, x, y: x.copy_(y), [_a(2, 3), _a(2, 2, 3)],
     r"copy_: the source of shape \(2, 2, 3\) cannot be broadcast"),
]


@pytest.mark.parametrize("name,fn,inputs,match", RAISES, ids=[r[0] for r in RAISES])
def test_raises(name, fn, inputs, match):
    check_raises(fn, inputs, match=match)


def test_copy_into_leaf_requiring_grad_raises():
    w = lightgrad.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="copy_: a leaf Variable that requires grad"):
        w.copy_(lightgrad.ones(2))
    with lightgrad.no_grad():  # the usual way to initialise a parameter
        w.copy_(lightgrad.tensor([1.0, 2.0]))
    assert w.tolist() == [1.0, 2.0] and w.grad_fn is None and w.requires_grad


def test_copy_cuts_the_old_history():
    x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.copy_(lightgrad.tensor([5.0, 6.0]))
    assert y.requires_grad and type(y.grad_fn).__name__ == "Copy"
    (y * y).sum().backward()
    assert x.grad is None  # the overwritten value contributes nothing


# ----------------------------------------------------------------------------- views & versions
def test_view_shares_memory_and_version():
    x = lightgrad.arange(6.0)
    y = x.view(2, 3)
    assert np.shares_memory(x.data, y.data)
    assert y._base is x and y._vc is x._vc
    y.add_(1)
    assert x.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert x._version == 1
    z = y.t().unsqueeze(0)  # a view of a view keeps the root base and the counter
    assert z._base is x and z._vc is x._vc and np.shares_memory(z.data, x.data)


def test_inplace_through_view_invalidates_saved_base():
    w = lightgrad.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    x = lightgrad.tensor([1.0, 2.0, 3.0, 4.0])
    z = w * x  # saves x for the gradient of w
    y = x.view(2, 2)
    y.mul_(2)  # modifies x through the view
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_view_chain_functions_are_views():
    x = lightgrad.randn(2, 3, 4)
    for y in (x.reshape(6, 4), x.permute(2, 0, 1), x.transpose(0, 1), x.expand(2, 2, 3, 4),
              x.squeeze(), x.unsqueeze(1), x.narrow(2, 1, 2), x.unbind(1)[0], x.split(2, 2)[1],
              x.chunk(2, 2)[0], x.mT, x.flatten(1), x.movedim(0, 2), x.diagonal(0, 1, 2)):
        assert np.shares_memory(x.data, y.data) and y._vc is x._vc
    for y in (x.flip(0), x.roll(1, 0), x.clone(), x.repeat(1, 1, 1), lightgrad.cat([x, x]),
              x.tril(), x.mT.contiguous(), x.mT.reshape(-1)):
        assert not np.shares_memory(x.data, y.data) and y._vc is not x._vc


def test_reshape_view_or_copy_matches_torch_layout():
    a = np.arange(24.0).reshape(2, 3, 4)
    x, tx = lightgrad.tensor(a), torch.from_numpy(a.copy())
    for f in (lambda t: t.transpose(0, 1).reshape(3, 8),
              lambda t: t.transpose(1, 2).reshape(2, 12),
              lambda t: t.transpose(0, 1).reshape(3, 2, 2, 2),
              lambda t: t.narrow(2, 0, 2).reshape(2, 6),
              lambda t: t.narrow(1, 0, 2).reshape(2, 8),
              lambda t: t.narrow(2, 0, 2).reshape(2, 3, 1, 2)):
        y, ty = f(x), f(tx)
        torch_view = ty.untyped_storage().data_ptr() == tx.untyped_storage().data_ptr()
        assert np.shares_memory(y.data, x.data) == torch_view
        np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_contiguous_and_clone_layout():
    x = lightgrad.randn(3, 4)
    assert x.contiguous() is x
    xt = x.mT
    assert not xt.is_contiguous() and xt.contiguous().is_contiguous()
    assert not xt.clone().is_contiguous()  # clone keeps the layout, as torch's preserve_format
    assert xt.clone().stride() == xt.stride()
    tx = torch.randn(3, 4).mT
    assert tx.clone().stride() == tx.stride()


def test_expand_is_read_only_and_split_views_write_through():
    x = lightgrad.zeros(1, 3)
    e = x.expand(2, 3)
    with pytest.raises(RuntimeError, match="add_"):
        e.add_(1)
    y = lightgrad.zeros(4)
    a, b = y.split(2)
    b.add_(1)
    assert y.tolist() == [0.0, 0.0, 1.0, 1.0] and y._version == 1
    u = lightgrad.zeros(3).unbind()[1]
    assert u.shape == () and u._base is not None


def test_split_gradients_accumulate_into_one_input():
    a = np.arange(10.0).reshape(5, 2)
    x = lightgrad.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    for lib, t in ((lightgrad, x), (torch, tx)):
        p, q, r = t.split(2)
        s = lib.cat([r, p * 2, q.flip(0)])
        (s * s).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_T_on_3d_reverses_dims():
    x = lightgrad.randn(2, 3, 4)
    assert x.T.shape == (4, 3, 2)
    np.testing.assert_array_equal(x.T.numpy(), x.numpy().T)


def test_functional_pad_reexported():
    import lightgrad.nn.functional as F_

    assert "pad" in F_.__all__ and F_.pad is lightgrad.ops.movement.pad


# ----------------------------------------------------------------------------- property tests
@st.composite
def _shape_and_perm(draw):
    nd = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=nd, max_size=nd)))
    perm = tuple(draw(st.permutations(range(nd))))
    return shape, perm


@settings(max_examples=60, deadline=None)
@given(_shape_and_perm(), st.data())
def test_reshape_permute_transpose_round_trips(sp, data):
    shape, perm = sp
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    a = rng.standard_normal(shape)
    x = lightgrad.tensor(a, requires_grad=True)
    tx = torch.tensor(a, requires_grad=True)
    # permute, then reshape to a random factorisation of the size (view or copy), and back
    n = a.size
    dims = data.draw(st.lists(st.integers(1, 4), max_size=3))
    new = []
    rest = n
    for d in dims:
        if rest and rest % d == 0:
            new.append(d)
            rest //= d
    new.append(-1 if rest else 0)
    if n == 0:
        new = [0]
    nd = len(shape)
    d0, d1 = (data.draw(st.integers(-nd, nd - 1)) for _ in range(2)) if nd else (0, 0)
    inv = np.argsort(perm).tolist()
    outs = []
    for t in (x, tx):
        y = t.permute(*perm) if nd else t.permute(())
        z = y.reshape(*new)
        back = z.reshape(y.shape).permute(*inv) if nd else z.reshape(())
        back = back.transpose(d0, d1).transpose(d0, d1) if nd else back
        outs.append((z, back))
    (lz, lb), (tz, tb) = outs
    assert tuple(lz.shape) == tuple(tz.shape)
    np.testing.assert_array_equal(lz.detach().numpy(), tz.detach().numpy())
    np.testing.assert_array_equal(lb.detach().numpy(), a)
    np.testing.assert_array_equal(tb.detach().numpy(), a)
    g = rng.standard_normal(tuple(tz.shape))
    (lz * lightgrad.tensor(g)).sum().backward()
    (tz * torch.from_numpy(g)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
