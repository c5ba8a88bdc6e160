#!/usr/bin/env python3
"""The PyTorch side of scripts/bench_vs_pytorch.sh: sn-bench's whole-network figures, built and timed
in PyTorch the way sn-bench builds and times them in Swift (Tools/sn-bench/ModelBenchmarks.swift).

Each figure is the median of --repeats timed runs after an untimed warm-up (runs until at least one
run and 0.1 s have passed, sn-bench's `measure`). Its peak resident memory is the process's VmHWM
after the figure, reset before the figure's networks are built (`echo 5 > /proc/self/clear_refs`),
as sn-bench does; run one figure per process (--only KEY) for peaks that belong to one figure only.

The networks (Packages/CycleGAN, Packages/NN, Packages/Losses), batch 1, 1 input and 1 output channel,
weights N(0, 0.02²) and zero biases:
  ResNet generator (ngf f, n blocks): reflection pad 3, conv 7×7 → f, IN, ReLU; conv 3×3 stride 2
    (zero padding 1) → 2f, IN, ReLU; → 4f likewise; n × [x + IN(conv3×3(rpad1(ReLU(IN(conv3×3(rpad1(x)))))))];
    transposed conv 3×3 stride 2 padding 1 output padding 1 → 2f, IN, ReLU; → f likewise;
    reflection pad 3, conv 7×7 → 1, tanh. Every conv has a bias; IN has no affine part (eps 1e-5).
  70×70 PatchGAN (ndf d): 4×4 convs with zero padding 1 and biases: → d stride 2, LeakyReLU 0.2;
    → 2d stride 2, IN, LReLU; → 4d stride 2, IN, LReLU; → 8d stride 1, IN, LReLU; → 1 stride 1.
  CycleGAN iteration (CycleGANTrainer.trainStep): G and F step on LSGAN against D_Y and D_X (frozen)
    + λ·C(F(G(x)), x) + λ·C(G(F(y)), y) [+ f·λ·(C(F(x), x) + C(G(y), y))], Adam over G+F; then
    D_X and D_Y on real images and (pooled, detached) fakes, ½(LSGAN(D(real), 1) + LSGAN(D(fake), 0))
    each, one backward of the sum, Adam over D_X+D_Y. λ 10, Adam lr 2e-4, β (0.5, 0.999), ε 1e-8.
    Vanilla (cyclegan_iteration_128): C = L1, no identity, no pool.
    SaliencyNet (saliencynet_iteration_ngf32_128, sn-train's defaults): C = the saliency loss
    0.2·MSE + 0.2·MGE + 0.6·(1 − SSIM) on the cycle and on the identity terms (f 0.5), pool 50.
  MGE: mean of (Ĝ − G)², G = √(Gv² + Gh² + 1e-6), Gv, Gh the Sobel correlations
    [[−1,−2,−1],[0,0,0],[1,2,1]] and its transpose with a half-sample symmetric border (for a 3×3
    kernel: the edge pixel repeated, i.e. replicate padding 1).
  SSIM: 11×11 Gaussian window (σ 1.5, normalised taps, separable), valid windows only, C1 = (0.01·2)²,
    C2 = (0.03·2)² (data range 2 for images in [−1, 1]), population moments; the mean over the map.

Differences that remain (by construction of the two libraries, not of the networks):
  * Swift computes the MGE and SSIM terms (forward and backward) in Float64 with hand-written
    gradients; here they run in float32 through autograd (same definitions, rounding differs).
  * Swift fuses IN + ReLU / LeakyReLU into one kernel; PyTorch runs them as two modules (ReLU in place,
    as in the reference pytorch-CycleGAN-and-pix2pix).
  * Random streams differ (Philox in Swift, torch's generator here): the same distributions, not the
    same numbers, for the weights, the inputs and the image pool's draws.
  * zero_grad() sets gradients to None (PyTorch's default) where Swift zeroes them in place; Adam is
    PyTorch's default implementation on CPU (neither foreach nor fused).
"""

import argparse
import math
import os
import random
import re
import statistics
import sys
import time

# sn-bench's modelCases: key → (label, workload, parameters, size).
FIGURES = {
    "generator_ngf64_256": ("generator ngf64 fwd 256x256", "generator", {"ngf": 64}, 256),
    "generator_ngf64_512": ("generator ngf64 fwd 512x512", "generator", {"ngf": 64}, 512),
    "generator_ngf64_1024": ("generator ngf64 fwd 1024x1024", "generator", {"ngf": 64}, 1024),
    "generator_ngf32_256": ("generator ngf32 fwd 256x256", "generator", {"ngf": 32}, 256),
    "generator_ngf32_1024": ("generator ngf32 fwd 1024x1024", "generator", {"ngf": 32}, 1024),
    "patchgan_ndf64_fwd_bwd_256": ("PatchGAN ndf64 fwd+bwd 256x256", "patchgan", {"ndf": 64}, 256),
    "cyclegan_iteration_128": ("CycleGAN iteration 128x128 crops", "iteration",
                               {"ngf": 64, "blocks": 9, "ndf": 64, "saliency": False,
                                "identity_fraction": 0.0, "pool_size": 0}, 128),
    "saliencynet_iteration_ngf32_128": ("SaliencyNet iteration (sn-train defaults) 128x128", "iteration",
                                        {"ngf": 32, "blocks": 9, "ndf": 64, "saliency": True,
                                         "identity_fraction": 0.5, "pool_size": 50}, 128),
}


def parse_arguments():
    parser = argparse.ArgumentParser(
        description="PyTorch twins of sn-bench's whole-network figures (median seconds and peak RSS).")
    parser.add_argument("--only", help="comma-separated figure keys (default all): " + ", ".join(FIGURES))
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (interop threads: 1); default 2")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per figure, median reported; default 3")
    parser.add_argument("--size-override", type=int, metavar="S",
                        help="image (crop) side for every figure, for smoke runs (figures then not comparable)")
    parser.add_argument("--out", metavar="FILE", help="write a TSV: key, seconds (median), peak_rss_mb")
    args = parser.parse_args()
    keys = [k.strip() for k in args.only.split(",")] if args.only else list(FIGURES)
    unknown = [k for k in keys if k not in FIGURES]
    if unknown:
        parser.error(f"--only: unknown figure '{unknown[0]}' (known: {', '.join(FIGURES)})")
    if args.threads < 1 or args.repeats < 1:
        parser.error("--threads and --repeats must be >= 1")
    if args.size_override is not None and (args.size_override < 32 or args.size_override % 8):
        parser.error("--size-override must be a multiple of 8, >= 32 (PatchGAN and SSIM windows need it)")
    args.keys = keys
    return args


ARGS = parse_arguments()

import torch  # noqa: E402  (after argument parsing: usage errors do not wait for the import)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# Before any parallel work (set_num_interop_threads may only be called once, before it).
torch.set_num_interop_threads(1)
torch.set_num_threads(ARGS.threads)


# MARK: - Networks

def init_weights(module):
    """CycleGAN's initialisation: conv weights N(0, 0.02²), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)
    return module


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3), nn.InstanceNorm2d(channels))

    def forward(self, x):
        return x + self.block(x)


def resnet_generator(ngf, blocks=9, in_channels=1, out_channels=1):
    """CycleGAN's ResNet generator as Packages/CycleGAN's ResNetGenerator builds it."""
    f = ngf
    layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, f, 7), nn.InstanceNorm2d(f), nn.ReLU(True),
              nn.Conv2d(f, 2 * f, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * f), nn.ReLU(True),
              nn.Conv2d(2 * f, 4 * f, 3, stride=2, padding=1), nn.InstanceNorm2d(4 * f), nn.ReLU(True)]
    layers += [ResidualBlock(4 * f) for _ in range(blocks)]
    layers += [nn.ConvTranspose2d(4 * f, 2 * f, 3, stride=2, padding=1, output_padding=1),
               nn.InstanceNorm2d(2 * f), nn.ReLU(True),
               nn.ConvTranspose2d(2 * f, f, 3, stride=2, padding=1, output_padding=1),
               nn.InstanceNorm2d(f), nn.ReLU(True),
               nn.ReflectionPad2d(3), nn.Conv2d(f, out_channels, 7), nn.Tanh()]
    return init_weights(nn.Sequential(*layers))


def patch_discriminator(ndf, in_channels=1):
    """The 70×70 PatchGAN as Packages/CycleGAN's PatchDiscriminator builds it (raw scores, LSGAN)."""
    d = ndf
    return init_weights(nn.Sequential(
        nn.Conv2d(in_channels, d, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True),
        nn.Conv2d(d, 2 * d, 4, stride=2, padding=1), nn.InstanceNorm2d(2 * d), nn.LeakyReLU(0.2, True),
        nn.Conv2d(2 * d, 4 * d, 4, stride=2, padding=1), nn.InstanceNorm2d(4 * d), nn.LeakyReLU(0.2, True),
        nn.Conv2d(4 * d, 8 * d, 4, stride=1, padding=1), nn.InstanceNorm2d(8 * d), nn.LeakyReLU(0.2, True),
        nn.Conv2d(8 * d, 1, 4, stride=1, padding=1)))


# MARK: - Losses

def lsgan_loss(output, label):
    """(1/n) Σ (D − t)², t = 1 (real) or 0 (fake)."""
    return F.mse_loss(output, torch.full_like(output, label))


# Sobel correlation kernels (Losses' SobelOperator): vertical, horizontal; [2, 1, 3, 3].
SOBEL = torch.tensor([[[[-1., -2., -1.], [0., 0., 0.], [1., 2., 1.]]],
                      [[[-1., 0., 1.], [-2., 0., 2.], [-1., 0., 1.]]]])


def sobel_magnitude(x, epsilon=1e-6):
    """G = √(Gv² + Gh² + ε) per plane, the input's size (symmetric border = replicate for 3×3)."""
    n, c, h, w = x.shape
    g = F.conv2d(F.pad(x.reshape(n * c, 1, h, w), (1, 1, 1, 1), mode="replicate"), SOBEL)
    return torch.sqrt(g.square().sum(dim=1, keepdim=True) + epsilon).reshape(n, c, h, w)


def gaussian_taps(sigma=1.5, radius=5):
    taps = [math.exp(-t * t / (2 * sigma * sigma)) for t in range(-radius, radius + 1)]
    total = sum(taps)
    return torch.tensor([t / total for t in taps], dtype=torch.float32)


SSIM_TAPS = gaussian_taps()
SSIM_H = SSIM_TAPS.reshape(1, 1, 1, -1)
SSIM_V = SSIM_TAPS.reshape(1, 1, -1, 1)
SSIM_C1 = (0.01 * 2) ** 2
SSIM_C2 = (0.03 * 2) ** 2


def ssim_mean(x, y):
    """MSSIM over valid 11×11 Gaussian windows (Losses' SSIMConfiguration defaults), all planes."""
    n, c, h, w = x.shape
    planes = n * c
    stack = torch.cat([x, y, x * x, y * y, x * y]).reshape(5 * planes, 1, h, w)
    filtered = F.conv2d(F.conv2d(stack, SSIM_H), SSIM_V)   # horizontal, then vertical pass; valid
    mx, my, exx, eyy, exy = filtered.split(planes)
    vx, vy, vxy = exx - mx * mx, eyy - my * my, exy - mx * my
    s = (2 * mx * my + SSIM_C1) * (2 * vxy + SSIM_C2) / ((mx * mx + my * my + SSIM_C1) * (vx + vy + SSIM_C2))
    return s.mean()


def saliency_loss(prediction, target, alpha=0.2, beta=0.2, gamma=0.6):
    """α·MSE + β·MGE + γ·(1 − MSSIM) (Losses' SaliencyLoss, model M's weights)."""
    mse = F.mse_loss(prediction, target)
    mge = F.mse_loss(sobel_magnitude(prediction), sobel_magnitude(target))
    return alpha * mse + beta * mge + gamma * (1 - ssim_mean(prediction, target))


class ImagePool:
    """CycleGAN's history of fakes (CycleGAN's ImagePool, as Packages/CycleGAN's)."""

    def __init__(self, capacity, rng):
        self.capacity = capacity
        self.rng = rng
        self.images = []

    def query(self, batch):
        if self.capacity == 0:
            return batch
        out = []
        for item in batch.split(1):
            item = item.clone()
            if len(self.images) < self.capacity:
                self.images.append(item)
                out.append(item)
            elif self.rng.random() > 0.5:
                k = self.rng.randrange(self.capacity)
                out.append(self.images[k])
                self.images[k] = item
            else:
                out.append(item)
        return torch.cat(out)


class CycleGANTrainer:
    """One CycleGAN / SaliencyNet iteration (Packages/CycleGAN's CycleGANTrainer.trainStep)."""

    def __init__(self, ngf, blocks, ndf, saliency, identity_fraction, pool_size, cycle_weight=10.0):
        self.G = resnet_generator(ngf, blocks)
        self.F = resnet_generator(ngf, blocks)
        self.D_X = patch_discriminator(ndf)
        self.D_Y = patch_discriminator(ndf)
        self.cycle_loss = saliency_loss if saliency else F.l1_loss
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_fraction * cycle_weight
        adam = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-8)
        self.generator_parameters = list(self.G.parameters()) + list(self.F.parameters())
        self.discriminator_parameters = list(self.D_X.parameters()) + list(self.D_Y.parameters())
        self.generator_optimizer = torch.optim.Adam(self.generator_parameters, **adam)
        self.discriminator_optimizer = torch.optim.Adam(self.discriminator_parameters, **adam)
        rng = random.Random(24)
        self.pool_x = ImagePool(pool_size, rng)
        self.pool_y = ImagePool(pool_size, rng)

    def step(self, x, y):
        lam, c = self.cycle_weight, self.cycle_loss
        # 1. Generators; the discriminators enter as constants (no weight gradients).
        for p in self.discriminator_parameters:
            p.requires_grad_(False)
        fake_y, fake_x = self.G(x), self.F(y)
        total = lsgan_loss(self.D_Y(fake_y), 1.0) + lsgan_loss(self.D_X(fake_x), 1.0)
        total = total + lam * c(self.F(fake_y), x) + lam * c(self.G(fake_x), y)
        if self.identity_weight > 0:
            total = total + self.identity_weight * c(self.F(x), x) + self.identity_weight * c(self.G(y), y)
        self.generator_optimizer.zero_grad()
        total.backward()
        self.generator_optimizer.step()
        # 2. Discriminators on real and (detached, pooled) fake images.
        for p in self.discriminator_parameters:
            p.requires_grad_(True)
        pooled_x = self.pool_x.query(fake_x.detach())
        pooled_y = self.pool_y.query(fake_y.detach())
        loss_dx = 0.5 * (lsgan_loss(self.D_X(x), 1.0) + lsgan_loss(self.D_X(pooled_x), 0.0))
        loss_dy = 0.5 * (lsgan_loss(self.D_Y(y), 1.0) + lsgan_loss(self.D_Y(pooled_y), 0.0))
        self.discriminator_optimizer.zero_grad()
        (loss_dx + loss_dy).backward()
        self.discriminator_optimizer.step()
        return total.item()


# MARK: - Measuring

def uniform_image(size, seed):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(1, 1, size, size, generator=generator) * 2 - 1


def make_run(workload, parameters, size):
    """The figure's networks and inputs, built once; returns the body that one timed run executes."""
    torch.manual_seed(23)
    x, y = uniform_image(size, 21), uniform_image(size, 22)
    if workload == "generator":
        generator = resnet_generator(parameters["ngf"])

        def run():
            with torch.inference_mode():
                generator(x)
        return run
    if workload == "patchgan":
        discriminator = patch_discriminator(parameters["ndf"])

        def run():
            discriminator.zero_grad()
            score = discriminator(x)
            F.mse_loss(score, torch.ones_like(score)).backward()
        return run
    trainer = CycleGANTrainer(**parameters)
    return lambda: trainer.step(x, y)


def measure(repeats, body):
    """sn-bench's measure: untimed warm-up (at least one run and 0.1 s), then the median of `repeats` runs."""
    start = time.perf_counter()
    while True:
        body()
        if time.perf_counter() - start >= 0.1:
            break
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        body()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def proc_status_mb(field):
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return float(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss():
    """VmHWM ← current RSS (Linux ≥ 4.0); False where the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def configuration_line():
    info = torch.__config__.parallel_info()
    onednn = re.search(r"MKL-DNN v([\d.]+)", info)
    build = "CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda} build, run on the CPU"
    parts = [f"torch {torch.__version__} ({build})",
             f"oneDNN {onednn.group(1) if onednn else '?'} {'on' if torch.backends.mkldnn.is_available() else 'off'}",
             f"MKL {'yes' if torch.backends.mkl.is_available() else 'no'}",
             f"{torch.get_num_threads()} thread(s), {torch.get_num_interop_threads()} interop",
             f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}",
             f"python {sys.version.split()[0]}"]
    return "pytorch_bench: " + ", ".join(parts)


def main():
    print(configuration_line(), file=sys.stderr)
    rows = []
    for key in ARGS.keys:
        label, workload, parameters, size = FIGURES[key]
        if ARGS.size_override is not None:
            size = ARGS.size_override
        reset = reset_peak_rss()
        run = make_run(workload, parameters, size)
        seconds = measure(ARGS.repeats, run)
        peak = proc_status_mb("VmHWM")
        del run
        rows.append((key, seconds, peak))
        note = f" (size override: {size}x{size})" if ARGS.size_override is not None else ""
        reset_note = "" if reset else " (not reset: process peak so far)"
        print(f"pytorch_bench: {label}{note}, {ARGS.threads} thread(s): {seconds:.3f} s, "
              f"peak RSS {peak:.0f} MB{reset_note}", file=sys.stderr)
    if ARGS.out:
        with open(ARGS.out, "w") as out:
            out.write("key\tseconds\tpeak_rss_mb\n")
            for key, seconds, peak in rows:
                out.write(f"{key}\t{seconds:.6f}\t{peak:.1f}\n")


if __name__ == "__main__":
    main()
