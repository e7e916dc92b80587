"""2D GAN speed, every number measured in this one process (ratios, not absolute claims; not a test).

    python bench/gan.py                # all three sections, the app's thread policy (1 thread)
    python bench/gan.py --quick        # 300 steps instead of the scene's 1500, fewer seeds

1. **The page's default comparison** (gan_demo/scenes.py "default": Adam-GDA and greedy min-max on
   four4, medium nets, batch 128, 1500 steps): wall and CPU seconds of the live runner (both algorithms
   together, every snapshot with samples, D grid, manifold and arrows), of the engine alone
   (``dynamics.run``, no snapshots), and of hand-written ``torch.optim`` loops doing the same updates
   with the same nets, batch and draws.
2. **Thread policy**: the same comparison (shorter) with 1 and 2 torch threads, quiet and with three
   busy ``while True`` processes started by this script.
3. **16 seeds vmapped vs 16 sequential runs** (Adam-GDA) with the app's thread policy, for the medium
   nets (batch 128) and Mangoubi et al.'s nets (batch 512); plus what one more seed costs a vmapped
   run (32 seeds minus 16 seeds), which bounds the speed-up any number of vmapped seeds can give.

Wall time counts other jobs on the machine; process CPU time does not (use it on a shared machine).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

import dynamics  # noqa: E402
from dynamics.threads import configure_threads  # noqa: E402
from gan_demo.game import GANGame, mix_seed, module_from_flat  # noqa: E402
from gan_demo.gmm import GMMConfig, build  # noqa: E402
from gan_demo.scenes import GAN_DEFAULTS, MODELS, SCENES  # noqa: E402


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


# ---- hand-written references -----------------------------------------------------------------------
def _value(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The saturating GAN value E log σ(D(x)) + E log(1 - σ(D(G(z)))) (the game's ``saturating`` loss)."""
    sp = nn.functional.softplus
    return -sp(-d_real).mean() - sp(d_fake).mean()


def _adam_gda_step(G: nn.Module, D: nn.Module, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer,
                   real: torch.Tensor, noise: torch.Tensor) -> None:
    """One simultaneous torch.optim step of both players on one minibatch (G descends, D ascends)."""
    opt_g.zero_grad()
    opt_d.zero_grad()
    fake = G(noise)
    _value(torch.zeros(1), D(fake)).backward(inputs=list(G.parameters()))
    (-_value(D(real), D(fake.detach()))).backward(inputs=list(D.parameters()))
    opt_g.step()
    opt_d.step()


def hand_adam_gda(game: GANGame, z0: torch.Tensor, steps: int) -> None:
    """Simultaneous Adam-GDA as one would write it with torch.optim (lr_G 1e-3, lr_D 1e-4, β1 0.5)."""
    x0, y0 = game.split(z0)
    G, D = module_from_flat(game.generator, x0[0]), module_from_flat(game.discriminator, y0[0])
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.999))
    dev = torch.device("cpu")
    for t in range(steps):
        real, noise, _ = game.draw(mix_seed(game.seeds[0], t), game.batch_size, dev)
        _adam_gda_step(G, D, opt_g, opt_d, real, noise)


def hand_greedy(game: GANGame, z0: torch.Tensor, steps: int, k: int = 6, rate: int = 4) -> None:
    """Greedy min-max, Gaussian variant, by hand: one simultaneous Adam step, k - 1 more D steps on fresh
    minibatches, then the D-loss test on a fresh minibatch; a rejected move restores G (D keeps its steps)."""
    x0, y0 = game.split(z0)
    G, D = module_from_flat(game.generator, x0[0]), module_from_flat(game.discriminator, y0[0])
    opt_g = torch.optim.Adam(G.parameters(), lr=1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=1e-4, betas=(0.5, 0.999))
    dev, n = torch.device("cpu"), game.batch_size
    f_ref = float("inf")
    for t in range(steps):
        keep = [p.detach().clone() for p in G.parameters()]
        real, noise, _ = game.draw(mix_seed(game.seeds[0], t), n, dev)
        _adam_gda_step(G, D, opt_g, opt_d, real, noise)
        for i in range(k - 1):
            real, noise, _ = game.draw(mix_seed(game.seeds[0], -(1 << 40) - (t * 256 + i)), n, dev)
            opt_d.zero_grad()
            with torch.no_grad():
                fake = G(noise)
            (-_value(D(real), D(fake))).backward()
            opt_d.step()
        real, noise, _ = game.draw(mix_seed(game.seeds[0], -(1 << 40) - (t * 256 + k - 1)), n, dev)
        with torch.no_grad():
            f_new = float(-_value(D(real), D(G(noise))))
            if t % rate != 0 and f_new > f_ref:
                for p, q in zip(G.parameters(), keep):
                    p.copy_(q)
        f_ref = f_new


def engine(game: GANGame, z0: torch.Tensor, algo: dynamics.Algorithm, steps: int) -> None:
    dynamics.run(game, algo, z0, steps=steps, dtype=torch.float32, metrics=False, record_every=steps)


# ---- sections --------------------------------------------------------------------------------------
def default_scene(steps: int) -> None:
    scene = SCENES["default"]
    cfg = scene.config()
    game, _ = build(cfg)
    z0 = game.init_params(cfg.model.init, cfg.model.gain, dtype=torch.float32)
    adam, greedy = scene.make_algorithms()
    print(f"\n## 1. The page's default comparison: {scene.title}; {steps} steps, "
          f"{torch.get_num_threads()} torch thread(s)")
    print(f"{'what':<52} {'wall s':>8} {'CPU s':>8}")
    runner = scene.live() if steps == scene.steps else None
    if runner is None:
        from gan_demo.live import LiveOptions, LiveRun

        runner = LiveRun(cfg, [adam, greedy], steps, options=LiveOptions(every=scene.every))
    rows = [
        ("live runner, both algorithms, all snapshots (the page)", lambda: runner.run_to_end()),
        ("engine: adam (dynamics.run, no snapshots)", lambda: engine(game, z0, adam, steps)),
        ("hand-written torch.optim Adam-GDA loop", lambda: hand_adam_gda(game, z0, steps)),
        ("engine: greedy_minmax (dynamics.run, no snapshots)", lambda: engine(game, z0, greedy, steps)),
        ("hand-written torch.optim greedy min-max loop", lambda: hand_greedy(game, z0, steps)),
    ]
    res = {}
    for name, fn in rows:
        res[name] = timed(fn)
        print(f"{name:<52} {res[name][0]:>8.2f} {res[name][1]:>8.2f}", flush=True)
    e = res[rows[1][0]][1] + res[rows[3][0]][1]
    h = res[rows[2][0]][1] + res[rows[4][0]][1]
    print(f"engine ÷ hand-written (CPU, both algorithms): {e / h:.2f}; live runner ÷ engine (snapshot cost): "
          f"{res[rows[0][0]][1] / e:.2f}")


def _scene_child(threads: int, steps: int, timeout: float) -> str:
    """The default comparison in a fresh process with ``threads`` torch threads: 'wall / CPU' seconds."""
    root = str(Path(__file__).resolve().parents[1])
    code = ("import time\n"
            f"from dynamics.threads import configure_threads; configure_threads({threads})\n"
            "from gan_demo.scenes import SCENES; from gan_demo.live import LiveRun, LiveOptions\n"
            f"s=SCENES['default']; r=LiveRun(s.config(), s.make_algorithms(), {steps}, options=LiveOptions(every=50))\n"
            "w,c=time.perf_counter(),time.process_time(); r.run_to_end()\n"
            "print(f'{time.perf_counter()-w:.2f} / {time.process_time()-c:.2f}')\n")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout,
                             check=True, cwd=root)
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} (killed)"
    return out.stdout.strip()


def thread_policy(steps: int, busy: int, timeout: float) -> None:
    print(f"\n## 2. Thread policy: the default comparison, {steps} steps, fresh process per cell (wall s / CPU s)")
    for label, n_busy in (("as the machine is now", 0), (f"+ {busy} busy 'while True' processes", busy)):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n_busy)]
        try:
            for t in (1, 2):
                print(f"{label:<36} {t} thread(s): {_scene_child(t, steps, timeout)}", flush=True)
        finally:
            for h in hogs:
                h.kill()
                h.wait()


def _vmap_cell(algo: dynamics.Algorithm, model: str, batch: int, seeds: int, steps: int,
               repeats: int) -> tuple[float, float, float]:
    """CPU s of a vmapped run of ``seeds`` seeds, of ``2 * seeds`` seeds, and of ``seeds`` sequential runs."""
    def make(n: int) -> tuple[GANGame, torch.Tensor]:
        cfg = GMMConfig(model=MODELS[model], batch_size=batch, seeds=tuple(range(n)))
        game, _ = build(cfg)
        return game, game.init_params(cfg.model.init, cfg.model.gain, dtype=torch.float32)

    (gs, zs), (g2, z2) = make(seeds), make(2 * seeds)
    singles = [build(GMMConfig(model=MODELS[model], batch_size=batch, seeds=(s,)))[0] for s in range(seeds)]
    engine(gs, zs, algo, 2)  # warm-up
    vm = min(timed(lambda: engine(gs, zs, algo, steps))[1] for _ in range(repeats))
    vm2 = min(timed(lambda: engine(g2, z2, algo, steps))[1] for _ in range(repeats))
    _, seq = timed(lambda: [engine(g, zs[i: i + 1], algo, steps) for i, g in enumerate(singles)])
    return vm, vm2, seq


def vmap_vs_sequential(seeds: int, steps: int, repeats: int) -> None:
    print(f"\n## 3. {seeds} seeds vmapped vs {seeds} sequential runs, Adam-GDA, {steps} steps, "
          f"{torch.get_num_threads()} torch thread(s) (process CPU s, best of {repeats})")
    print(f"{'nets':<34} {'vmapped':>8} {'sequential':>11} {'speed-up':>9} {'1 seed':>8} {'+1 seed':>8} "
          f"{'bound':>6}")
    algo = dynamics.make_algorithm("adam", **GAN_DEFAULTS["adam"])
    for label, model, batch in (("medium (z 16, 2×64), batch 128", "medium", 128),
                                ("Mangoubi (z 256, 2×128), batch 512", "mangoubi", 512)):
        vm, vm2, seq = _vmap_cell(algo, model, batch, seeds, steps, repeats)
        one = seq / seeds
        extra = max((vm2 - vm) / seeds, 1e-9)  # what one more seed adds to a vmapped run: its arithmetic
        print(f"{label:<34} {vm:>8.2f} {seq:>11.2f} {seq / vm:>8.1f}× {one:>8.3f} {extra:>8.3f} "
              f"{one / extra:>5.1f}×", flush=True)
    print(f"1 seed: CPU s of one sequential single-seed run; +1 seed: the cost of one more seed in a vmapped run,\n"
          f"(vmapped {2 * seeds} − vmapped {seeds}) / {seeds}; bound = 1 seed ÷ (+1 seed), the speed-up no number "
          "of vmapped seeds can exceed on this core (only the per-step overhead is shared; the arithmetic is not).")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="300 steps and 8 seeds (a smoke run)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: the app's policy)")
    p.add_argument("--busy", type=int, default=3, help="busy processes for the loaded thread measurement")
    p.add_argument("--sections", default="123", help="which sections to run, e.g. 13")
    p.add_argument("--thread-steps", type=int, default=150, help="steps of each thread-policy cell")
    p.add_argument("--cell-timeout", type=float, default=300.0, help="seconds before a thread-policy cell is killed")
    a = p.parse_args()
    n = configure_threads(a.threads)
    steps = 300 if a.quick else SCENES["default"].steps
    print(f"torch {torch.__version__}, {n} torch thread(s) (dynamics/threads.py policy), "
          f"{'quick' if a.quick else 'full'} run")
    if "1" in a.sections:
        default_scene(steps)
    if "2" in a.sections:
        thread_policy(a.thread_steps, a.busy, a.cell_timeout)
    if "3" in a.sections:
        vmap_vs_sequential(8 if a.quick else 16, 20 if a.quick else 40, 2 if a.quick else 3)


if __name__ == "__main__":
    main()
