"""Beyond CNNs: a vanilla RNN from scratch and a denoising autoencoder.

- :func:`rnn_cell`, :func:`rnn` -- Elman RNN, the same equations and parameter layout
  as ``torch.nn.RNN`` (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0``).
- :class:`RNN` -- an ``nn.Module`` that calls :func:`rnn`; ``load_state_dict`` of an
  ``nn.RNN`` works on it unchanged.
- :func:`corrupt`, :class:`DenoisingAutoencoder` -- Vincent et al. (2008); with an L1
  penalty on its code (``dlnotes.training.fit_autoencoder(code_l1=...)``) it is a sparse
  autoencoder (Goodfellow, Bengio & Courville, *Deep Learning*, 2016, §14.2.1).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ._validate import check_choice, check_int, check_probability

__all__ = ["rnn_cell", "rnn", "RNN", "corrupt", "DenoisingAutoencoder"]

_NONLINEARITIES = {"tanh": torch.tanh, "relu": torch.relu}


def rnn_cell(x, h, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Elman, "Finding structure in time", Cognitive Science 14, 1990; torch's
    ``nn.RNNCell`` formula.

    Parameters
    ----------
    x : Tensor, shape (N, H_in)
        Input at this time step.
    h : Tensor, shape (N, H)
        Previous hidden state.
    weight_ih : Tensor, shape (H, H_in)
    weight_hh : Tensor, shape (H, H)
    bias_ih, bias_hh : Tensor, shape (H,), optional
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    Tensor, shape (N, H)
        The new hidden state.
    """
    check_choice("nonlinearity", nonlinearity, tuple(_NONLINEARITIES))
    pre = x @ weight_ih.T + h @ weight_hh.T                                 # (N, H)
    if bias_ih is not None:
        pre = pre + bias_ih + bias_hh
    return _NONLINEARITIES[nonlinearity](pre)                               # (N, H)


def rnn(input, h0, weights, nonlinearity="tanh", batch_first=False):
    """Run a (multi-layer) Elman RNN over a whole sequence, one time step at a time.

    The same weights are used at every time step -- the RNN shares parameters across
    time as a CNN shares them across space -- so one set of weights handles any length.

    Parameters
    ----------
    input : Tensor, shape (L, N, H_in), or (N, L, H_in) if ``batch_first``, or (L, H_in)
        The sequence (unbatched input is allowed, as in torch).
    h0 : Tensor, shape (num_layers, N, H) or (num_layers, H) for unbatched input, optional
        Initial hidden state; zeros when None.
    weights : list of tuples
        One ``(weight_ih, weight_hh, bias_ih, bias_hh)`` per layer (biases may be None);
        layer ``k``'s ``weight_ih`` has shape ``(H, H_in)`` for ``k = 0`` and ``(H, H)``
        after.
    nonlinearity : {"tanh", "relu"}
    batch_first : bool

    Returns
    -------
    output : Tensor, shape (L, N, H) (or (N, L, H) / (L, H))
        The last layer's hidden state at every time step.
    h_n : Tensor, shape (num_layers, N, H) (or (num_layers, H))
        Every layer's hidden state after the last step.

    Raises
    ------
    ValueError
        If ``input`` is not 2-D or 3-D, its feature size differs from ``weight_ih``'s,
        or ``h0`` has the wrong shape (torch raises ``RuntimeError`` for these).
    """
    check_choice("nonlinearity", nonlinearity, tuple(_NONLINEARITIES))
    if not weights:
        raise ValueError("weights must hold one (weight_ih, weight_hh, bias_ih, bias_hh) per layer")
    if input.ndim not in (2, 3):
        raise ValueError(f"input must be 2-D (L, H_in) or 3-D (L, N, H_in), "
                         f"got shape {tuple(input.shape)}")
    num_layers, hidden = len(weights), weights[0][1].shape[0]
    in_size = weights[0][0].shape[1]
    if input.shape[-1] != in_size:
        raise ValueError(f"input.size(-1) must be equal to input_size; expected {in_size}, "
                         f"got {input.shape[-1]}")
    unbatched = input.ndim == 2
    x = input.unsqueeze(1) if unbatched else (input.transpose(0, 1) if batch_first else input)
    seq_len, batch = x.shape[0], x.shape[1]                                # x: (L, N, H_in)
    expected = (num_layers, hidden) if unbatched else (num_layers, batch, hidden)
    if h0 is None:
        h0 = x.new_zeros((num_layers, batch, hidden))                      # (layers, N, H)
    else:
        if tuple(h0.shape) != expected:
            raise ValueError(f"h0 must have shape {expected} (num_layers, [batch,] hidden_size), "
                             f"got {tuple(h0.shape)}")
        h0 = h0.unsqueeze(1) if unbatched else h0
    layer_input, finals = x, []
    for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights):
        h, outputs = h0[k], []                                             # h: (N, H)
        for t in range(seq_len):
            h = rnn_cell(layer_input[t], h, w_ih, w_hh, b_ih, b_hh, nonlinearity)
            outputs.append(h)
        layer_input = torch.stack(outputs)                                 # (L, N, H)
        finals.append(h)
    output, h_n = layer_input, torch.stack(finals)                         # (L, N, H), (layers, N, H)
    if unbatched:
        return output.squeeze(1), h_n.squeeze(1)
    return (output.transpose(0, 1) if batch_first else output), h_n


class RNN(nn.Module):
    """Elman RNN with ``torch.nn.RNN``'s constructor, parameter names and outputs.

    Parameters
    ----------
    input_size, hidden_size : int
    num_layers : int
    nonlinearity : {"tanh", "relu"}
    bias : bool
    batch_first : bool

    Notes
    -----
    Parameters are initialised from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``
    as in torch; dropout and bidirectional RNNs are not implemented.  The time loop is
    Python, so it is slower than torch's fused kernel -- it is here to be read.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False):
        input_size = check_int("input_size", input_size, minimum=1)
        hidden_size = check_int("hidden_size", hidden_size, minimum=1)
        num_layers = check_int("num_layers", num_layers, minimum=1)
        check_choice("nonlinearity", nonlinearity, tuple(_NONLINEARITIES))
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.nonlinearity, self.bias, self.batch_first = nonlinearity, bias, batch_first
        for k in range(num_layers):
            fan_in = input_size if k == 0 else hidden_size
            self.register_parameter(f"weight_ih_l{k}", nn.Parameter(torch.empty(hidden_size, fan_in)))
            self.register_parameter(f"weight_hh_l{k}",
                                    nn.Parameter(torch.empty(hidden_size, hidden_size)))
            if bias:
                self.register_parameter(f"bias_ih_l{k}", nn.Parameter(torch.empty(hidden_size)))
                self.register_parameter(f"bias_hh_l{k}", nn.Parameter(torch.empty(hidden_size)))
        self.reset_parameters()

    def reset_parameters(self):
        """Uniform ``U(-k, k)``, ``k = 1/sqrt(hidden_size)``, as ``nn.RNN``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def layer_weights(self):
        """``[(weight_ih_lk, weight_hh_lk, bias_ih_lk, bias_hh_lk), ...]`` for :func:`rnn`."""
        return [tuple(getattr(self, f"{name}_l{k}", None)
                      for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                for k in range(self.num_layers)]

    def forward(self, input, hx=None):
        """Same signature and outputs as ``nn.RNN.forward``: ``(output, h_n)``."""
        return rnn(input, hx, self.layer_weights(), self.nonlinearity, self.batch_first)


# --------------------------------------------------------------------------- autoencoder
def corrupt(x, p=0.3, kind="mask", generator=None):
    """Corrupt inputs for a denoising autoencoder.

    Parameters
    ----------
    x : Tensor, any shape
    p : float
        ``"mask"``: probability that an entry is set to 0 (Vincent et al. 2008, §2.3
        "masking noise"); ``"gaussian"``: standard deviation of added noise.
    kind : {"mask", "gaussian"}
    generator : torch.Generator, optional
        Source of the noise (pass one to keep the global state untouched).

    Returns
    -------
    Tensor, same shape as ``x``
    """
    check_choice("kind", kind, ("mask", "gaussian"))
    if kind == "mask":
        p = check_probability("p", p)
        keep = torch.rand(x.shape, generator=generator, dtype=x.dtype, device=x.device) >= p
        return x * keep
    if not p >= 0:
        raise ValueError(f"p (the noise standard deviation) must be >= 0, got {p!r}")
    return x + p * torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)


class DenoisingAutoencoder(nn.Module):
    """A fully connected autoencoder ``x -> code -> x_hat`` trained on corrupted inputs.

    Vincent, Larochelle, Bengio & Manzagol, "Extracting and composing robust features
    with denoising autoencoders", ICML 2008: encode a corrupted ``x~``, decode, and
    compare with the clean ``x`` -- the code must capture the structure of the data
    to undo the damage.

    Parameters
    ----------
    in_features : int
        Pixels per image (``H * W``); images ``(N, 1, H, W)`` are flattened.
    hidden : int
        Size of the hidden layer.
    code : int
        Size of the code (bottleneck).

    Notes
    -----
    The code is the output of a ReLU, so it is non-negative and a unit is "off" when it is
    exactly 0 (what a sparsity penalty on the code, ``fit_autoencoder(code_l1=...)``, pushes
    towards).  The decoder ends in a sigmoid (pixels in [0, 1]) and is trained with binary
    cross-entropy or MSE against the clean input.  The paper uses one hidden layer and
    tied weights; this one is deeper and untied.
    """

    def __init__(self, in_features=784, hidden=128, code=16):
        in_features = check_int("in_features", in_features, minimum=1)
        hidden = check_int("hidden", hidden, minimum=1)
        code = check_int("code", code, minimum=1)
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU(),
                                     nn.Linear(hidden, code), nn.ReLU())
        self.decoder = nn.Sequential(nn.Linear(code, hidden), nn.ReLU(),
                                     nn.Linear(hidden, in_features), nn.Sigmoid())

    def encode(self, x):
        """``(N, 1, H, W) -> (N, code)``, non-negative."""
        return self.encoder(x)

    def decode(self, code):
        """``(N, code) -> (N, H * W)`` pixels in [0, 1] (``forward`` reshapes them to the input)."""
        return self.decoder(code)

    def forward(self, x):
        """``(N, 1, H, W) -> (N, 1, H, W)`` reconstruction in [0, 1]."""
        return self.decode(self.encode(x)).view(x.shape)
