#!/usr/bin/env python3
"""NumPy reference of the ELCD lab's training step, for crate/benches/elcd.rs.

The same models as crate/src/labs/elcd/model.rs, vectorised over the batch, float64, with
hand-written gradients:
  ELCD: z = phi(x) (0 or 4 affine coupling layers), zdot = A(z, z*)(z - z*),
        A = -Ps^T Ps + Pa - Pa^T - alpha I, Ps, Pa two-layer tanh nets of (z, z*),
        xdot = Dphi(x)^{-1} zdot (layer by layer, closed-form inverses);
  MLP:  xdot = W3 tanh(W2 tanh(W1 x + b1) + b2) + b3.
Loss: mean squared error over batch and coordinates; Adam (PyTorch's defaults).

Usage: elcd_numpy.py SPEC.json  (written by the Rust bench: parameters, data, first batch,
and the crate's loss and gradient for it). Prints JSON: the largest |difference| between
this gradient and the crate's, and the training steps per second (best of 3).
"""
import json
import sys
import time

import numpy as np

COUPLINGS = 4


class Net2:
    """o = W2 tanh(W1 x + b1) + b2 at offset `off` of the flat parameters."""

    def __init__(self, inp, hid, out, off):
        self.inp, self.hid, self.out, self.off = inp, hid, out, off
        self.size = hid * inp + hid + out * hid + out

    def unpack(self, p):
        i, h, o, k = self.inp, self.hid, self.out, self.off
        w1 = p[k:k + h * i].reshape(h, i); k += h * i
        b1 = p[k:k + h]; k += h
        w2 = p[k:k + o * h].reshape(o, h); k += o * h
        b2 = p[k:k + o]
        return w1, b1, w2, b2

    def forward(self, p, x, jac=False):
        w1, b1, w2, b2 = self.unpack(p)
        h = np.tanh(x @ w1.T + b1)
        o = h @ w2.T + b2
        d = np.einsum("oj,bj,jk->bok", w2, 1.0 - h * h, w1) if jac else None
        return h, o, d

    def backward(self, p, x, h, go, gd, grad):
        """Adds dL/dparams into grad; returns dL/dx. gd: dL/d(do/dx) (B x out x inp) or None."""
        w1, b1, w2, b2 = self.unpack(p)
        i, hd, o, k = self.inp, self.hid, self.out, self.off
        gw1 = grad[k:k + hd * i].reshape(hd, i)
        gb1 = grad[k + hd * i:k + hd * i + hd]
        gw2 = grad[k + hd * i + hd:k + hd * i + hd + o * hd].reshape(o, hd)
        gb2 = grad[k + hd * i + hd + o * hd:k + self.size]
        s = 1.0 - h * h
        gw2 += go.T @ h
        gb2 += go.sum(0)
        gh = go @ w2
        gpre = gh * s
        if gd is not None:
            m = np.einsum("oj,bok->bjk", w2, gd)
            gw1 += np.einsum("bj,bjk->jk", s, m)
            gw2 += np.einsum("bok,bj,jk->oj", gd, s, w1)
            gs = np.einsum("bjk,jk->bj", m, w1)
            gpre -= 2.0 * h * s * gs
        gw1 += gpre.T @ x
        gb1 += gpre.sum(0)
        return gpre @ w1


class Elcd:
    def __init__(self, d, hidden, alpha, x_star, diffeo):
        self.d, self.alpha, self.x_star = d, alpha, np.asarray(x_star, float)
        self.ps = Net2(2 * d, hidden, d * d, 0)
        self.pa = Net2(2 * d, hidden, d * d, self.ps.size)
        off = self.pa.off + self.pa.size
        self.layers = []
        if diffeo:
            half = d // 2
            first, second = list(range(half)), list(range(half, d))
            for l in range(COUPLINGS):
                cond, free = (first, second) if l % 2 == 0 else (second, first)
                net = Net2(len(cond), hidden, 2 * len(free), off)
                off += net.size
                self.layers.append((np.array(cond), np.array(free), net))
        self.size = off

    def layer_forward(self, p, layer, z, jac):
        cond, free, net = layer
        a = z[:, cond]
        h, o, dj = net.forward(p, a, jac)
        nf = len(free)
        es = np.exp(o[:, :nf])
        y = z.copy()
        y[:, free] = z[:, free] * es + o[:, nf:]
        return y, (z, a, h, o, dj, es)

    def loss_grad(self, p, x, v):
        d, B = self.d, x.shape[0]
        grad = np.zeros_like(p)
        # z* = phi(x*)
        zs = self.x_star[None, :]
        star = []
        for layer in self.layers:
            zs, c = self.layer_forward(p, layer, zs, False)
            star.append(c)
        # z = phi(x)
        z = x
        caches = []
        for layer in self.layers:
            z, c = self.layer_forward(p, layer, z, True)
            caches.append(c)
        zsb = np.broadcast_to(zs, z.shape)
        inp = np.concatenate([z, zsb], axis=1)
        hs, os_, _ = self.ps.forward(p, inp)
        ha, oa, _ = self.pa.forward(p, inp)
        ps = os_.reshape(B, d, d)
        pa = oa.reshape(B, d, d)
        A = -np.einsum("bki,bkj->bij", ps, ps) + pa - pa.transpose(0, 2, 1) - self.alpha * np.eye(d)
        e = z - zsb
        w = [None] * (len(self.layers) + 1)
        w[-1] = np.einsum("bij,bj->bi", A, e)
        # xdot = J_0^{-1} ... J_{L-1}^{-1} zdot
        for l in range(len(self.layers) - 1, -1, -1):
            cond, free, net = self.layers[l]
            zin, a, h, o, dj, es = caches[l]
            nf = len(free)
            u = w[l + 1]
            ce = zin[:, free] * es
            M = ce[:, :, None] * dj[:, :nf, :] + dj[:, nf:, :]
            r = u[:, free] - np.einsum("bik,bk->bi", M, u[:, cond])
            wl = u.copy()
            wl[:, free] = r / es
            w[l] = wl
        res = w[0] - v
        scale = 1.0 / (B * d)
        loss = (res * res).sum() * scale
        gw = 2.0 * res * scale
        stash = []
        for l in range(len(self.layers)):
            cond, free, net = self.layers[l]
            zin, a, h, o, dj, es = caches[l]
            nf = len(free)
            u, wl = w[l + 1], w[l]
            ce = zin[:, free] * es
            ds, dt = dj[:, :nf, :], dj[:, nf:, :]
            gr = gw[:, free] / es
            gs = -gw[:, free] * wl[:, free]
            gu = gw.copy()
            gu[:, free] = gr
            M = ce[:, :, None] * ds + dt
            gu[:, cond] -= np.einsum("bik,bi->bk", M, gr)
            gm = -gr[:, :, None] * u[:, cond][:, None, :]
            gc = (gm * ds).sum(2)
            gd = np.concatenate([ce[:, :, None] * gm, gm], axis=1)
            gb = gc * es
            gs = gs + gc * zin[:, free] * es
            stash.append((gb, gs, gd))
            gw = gu
        # zdot = A e
        gA = gw[:, :, None] * e[:, None, :]
        ge = np.einsum("bij,bi->bj", A, gw)
        gps = -np.einsum("bki,bij->bkj", ps, gA + gA.transpose(0, 2, 1))
        gpa = gA - gA.transpose(0, 2, 1)
        ginp = self.ps.backward(p, inp, hs, gps.reshape(B, d * d), None, grad)
        ginp += self.pa.backward(p, inp, ha, gpa.reshape(B, d * d), None, grad)
        gz = ginp[:, :d] + ge
        gzs = (ginp[:, d:] - ge).sum(0, keepdims=True)
        for l in range(len(self.layers) - 1, -1, -1):
            cond, free, net = self.layers[l]
            zin, a, h, o, dj, es = caches[l]
            nf = len(free)
            gb, gs, gd = stash[l]
            gy = gz[:, free]
            go = np.concatenate([gs + gy * zin[:, free] * es, gy], axis=1)
            ga = net.backward(p, a, h, go, gd, grad) + gz[:, cond]
            gz = gz.copy()
            gz[:, free] = gb + gy * es
            gz[:, cond] = ga
        for l in range(len(self.layers) - 1, -1, -1):
            cond, free, net = self.layers[l]
            zin, a, h, o, _, es = star[l]
            nf = len(free)
            gy = gzs[:, free]
            go = np.concatenate([gy * zin[:, free] * es, gy], axis=1)
            ga = net.backward(p, a, h, go, None, grad) + gzs[:, cond]
            gzs = gzs.copy()
            gzs[:, free] = gy * es
            gzs[:, cond] = ga
        return loss, grad


class Mlp:
    def __init__(self, d, hidden):
        self.d, self.h = d, hidden
        self.size = hidden * d + hidden + hidden * hidden + hidden + d * hidden + d

    def unpack(self, p):
        d, h = self.d, self.h
        k = 0
        out = []
        for (r, c) in [(h, d), (h, h), (d, h)]:
            w = p[k:k + r * c].reshape(r, c); k += r * c
            b = p[k:k + r]; k += r
            out += [w, b]
        return out

    def loss_grad(self, p, x, v):
        w1, b1, w2, b2, w3, b3 = self.unpack(p)
        B = x.shape[0]
        h1 = np.tanh(x @ w1.T + b1)
        h2 = np.tanh(h1 @ w2.T + b2)
        o = h2 @ w3.T + b3
        res = o - v
        scale = 1.0 / (B * self.d)
        loss = (res * res).sum() * scale
        go = 2.0 * res * scale
        g2 = (go @ w3) * (1.0 - h2 * h2)
        g1 = (g2 @ w2) * (1.0 - h1 * h1)
        grad = np.concatenate([
            (g1.T @ x).ravel(), g1.sum(0), (g2.T @ h1).ravel(), g2.sum(0), (go.T @ h2).ravel(), go.sum(0)])
        return loss, grad


def main():
    spec = json.load(open(sys.argv[1]))
    d = 2
    xs = np.asarray(spec["xs"], float).reshape(-1, d)
    vs = np.asarray(spec["vs"], float).reshape(-1, d)
    if spec["kind"] == "mlp":
        model = Mlp(d, spec["hidden"])
    else:
        model = Elcd(d, spec["hidden"], spec["alpha"], spec["x_star"], spec["diffeo"])
    p0 = np.asarray(spec["params"], float)
    assert p0.size == model.size, (p0.size, model.size)
    idx = np.asarray(spec["idx"], int)
    loss, grad = model.loss_grad(p0, xs[idx], vs[idx])
    diff = float(np.max(np.abs(grad - np.asarray(spec["grad"]))))
    diff = max(diff, abs(loss - spec["loss"]))
    steps = spec["steps"]
    rng = np.random.default_rng(1)
    n = xs.shape[0]
    best = float("inf")
    for _ in range(3):
        p = p0.copy()
        m = np.zeros_like(p)
        v2 = np.zeros_like(p)
        b1t = b2t = 1.0
        order, pos = rng.permutation(n), 0
        t0 = time.perf_counter()
        for _ in range(steps):
            if pos >= n:
                order, pos = rng.permutation(n), 0
            batch = order[pos:pos + 100]
            pos += 100
            _, g = model.loss_grad(p, xs[batch], vs[batch])
            b1t *= 0.9
            b2t *= 0.999
            m = 0.9 * m + 0.1 * g
            v2 = 0.999 * v2 + 0.001 * g * g
            p -= 1e-3 * (m / (1 - b1t)) / (np.sqrt(v2 / (1 - b2t)) + 1e-8)
        best = min(best, time.perf_counter() - t0)
    print(json.dumps({"max_grad_diff": diff, "steps_per_second": steps / best, "seconds": best}))


if __name__ == "__main__":
    main()
