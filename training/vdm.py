"""The Variational Diffusion Model's negative ELBO for the discrete-time chain the coder runs.

The same estimator as src/model/vdm.ts (Kingma et al. 2021, L_T with learned schedule γ, the
per-step reverse variance k_i and, for per-pixel-variance models, the network's own factor):

  −ELBO(x) = KL(q(z_T|x) ‖ N(0,1))                                         prior
           + ½·T·E_i,ε[ Σ_d r_d/k_d + 1/k_d − 1 + ln k_d ],                   diffusion
                 r = expm1(γ_i − γ_{i−1})·(ε − ε̂(z_i, i))²
           − T·E_i,ε,ε0[ [i = 1]·log p(x | z_0, z_1) ]                        reconstruction

with z_i = α_i·v + σ_i·ε, α_i² = sigmoid(−γ_i), σ_i² = sigmoid(γ_i). Terms are in nats per
image; divide by D·ln 2 for bits per dimension. Tensors are NCHW.
"""

import math

import torch
import torch.nn.functional as F

from .network import fake_quantize, run_network


def gamma_schedule(desc, flat):
    """γ_0..γ_T: γ_min + (γ_max − γ_min)·cumsum(softmax(logits)), monotone by construction."""
    logits = desc.view(flat, "gamma.logits")
    ends = desc.view(flat, "gamma.ends")
    fractions = torch.cumsum(torch.softmax(logits, 0), 0)
    return torch.cat([ends[:1], ends[0] + (ends[1] - ends[0]) * fractions])


def pixels_to_data(pixels, half_levels):
    """Pixel values x ∈ {0..255} as the model's data variable v = (x + 0.5)/128 − 1."""
    return (pixels + 0.5) / half_levels - 1


def denoiser_inputs(desc, z, alpha, sigma):
    """Per image channel: z on the activation grid, ε_nn = (z − α·v_nn)/σ on it, and v_nn's pixel value, centred.

    Returns the features and ε_nn at full precision, which also reaches the output through the
    per-step skip gain (src/model/vdm.ts, denoiserInputs).
    """
    c = desc.constants
    act_scale = 2.0 ** c["ACT_FRACTION_BITS"]
    limit = c["ACT_MAX"] / act_scale
    levels, half = c["PIXEL_LEVELS"], c["HALF_LEVELS"]

    def on_grid(t):
        return fake_quantize(torch.clamp(t, -limit, limit), act_scale)

    u = (z / alpha + 1) * half - 0.5
    nearest = torch.clamp(torch.floor(u + 0.5), 0, levels - 1)
    eps_nearest = (z - alpha * pixels_to_data(nearest, half)) / sigma
    centred = torch.clamp(nearest - half, -c["ACT_MAX"], c["ACT_MAX"]) / act_scale
    return torch.cat([on_grid(z), on_grid(eps_nearest), centred], 1), eps_nearest


def predict_noise(desc, flat, exponents, z, steps, alpha, sigma, precision="integer"):
    """ε̂(z_i, i) for examples at steps i ∈ 1..T and, for per-pixel-variance models, each dimension's ln variance factor."""
    c = desc.constants
    features, eps_nearest = denoiser_inputs(desc, z, alpha, sigma)
    rows = steps - 1
    out = run_network(desc, flat, exponents, features, rows, precision)
    C = desc.channels
    skip = desc.view(flat, "skip")[rows][:, None, None, None]
    eps_hat = out[:, :C] + skip * eps_nearest
    if not desc.pixel_variance:
        return eps_hat, None
    log2_factor = fake_quantize(torch.clamp(out[:, C:], c["VARIANCE_LOG2_MIN"], c["VARIANCE_LOG2_MAX"]), c["VARIANCE_LOG2_SCALE"])
    return eps_hat, log2_factor * math.log(2)


def _normal_cdf(x):
    return 0.5 * (1 + torch.erf(x * math.sqrt(0.5)))


def _normal_mass(a, b):
    """Φ(b) − Φ(a) for a < b, computed on the side of zero where it does not cancel."""
    right_tail = (a > 0).detach()
    return torch.where(right_tail, _normal_cdf(-a) - _normal_cdf(-b), _normal_cdf(b) - _normal_cdf(a))


def elbo_terms(desc, flat, exponents, pixels, steps, eps, eps0, weights=None, precision="integer"):
    """Single-sample estimates of the three −ELBO terms (nats) for each image of the batch.

    pixels: integers 0..255 as float32 [N, C, H, W]; steps: int64 [N] in 1..T; weights: 1/p(step)
    for steps drawn with probability p (default T: uniform steps).
    """
    c = desc.constants
    T = desc.T
    half = c["HALF_LEVELS"]
    n = steps.shape[0]
    step_weight = weights if weights is not None else torch.full((n,), float(T), device=pixels.device)
    gamma = gamma_schedule(desc, flat)
    v = pixels_to_data(pixels, half)

    def per_image(t):
        return t.sum(dim=(1, 2, 3))

    def column(t):
        return t[:, None, None, None]

    # Prior: KL(N(α_T v, σ_T²) ‖ N(0, 1)) per dimension, in closed form.
    gamma_T = gamma[T]
    kl = 0.5 * (torch.sigmoid(gamma_T) + torch.sigmoid(-gamma_T) * v * v - 1 + F.softplus(-gamma_T))
    prior = per_image(kl)

    # Diffusion, the bracket split so that small r does not cancel against 1 in float32.
    rows = steps - 1
    gamma_t = gamma[steps]
    gamma_s = gamma[rows]
    alpha = column(torch.sqrt(torch.sigmoid(-gamma_t)))
    sigma = column(torch.sqrt(torch.sigmoid(gamma_t)))
    z = alpha * v + sigma * eps
    eps_hat, log_variance = predict_noise(desc, flat, exponents, z, steps, alpha, sigma, precision)
    log_k = column(desc.view(flat, desc.reverse_log_variance)[rows])
    if log_variance is not None:
        log_k = log_k + log_variance
    r = column(torch.expm1(gamma_t - gamma_s)) * (eps - eps_hat) ** 2
    per_dim = r * torch.exp(-log_k) + (torch.expm1(-log_k) + log_k)
    diffusion = 0.5 * step_weight * per_image(per_dim)

    # Reconstruction: p(x | z_0, z_1) puts on each pixel value the mass of N(mean, std²) over
    # its bin, the end bins taking the tails. In v units relative to the true v, with
    # z_0 = E[z_0 | z_1, x] + σ_q·ε0: u − v = std_u·ε0, x̂ − v = (σ_1/α_1)·(ε − ε̂).
    gamma0, gamma1 = gamma[0], gamma[1]
    cq = -torch.expm1(gamma0 - gamma1)
    std_u = torch.exp(0.5 * gamma0) / torch.sqrt(cq)
    u_error = std_u * eps0
    x_hat_error = torch.exp(0.5 * gamma1) * (eps - eps_hat)
    mean_error = u_error + (x_hat_error - u_error) * torch.exp(-log_k)
    min_std = c["PIXEL_STD_MIN"] / half
    std = torch.sqrt(torch.clamp(std_u * std_u * -torch.expm1(-log_k), min=min_std * min_std))
    half_bin = 0.5 / half
    infinity = torch.tensor(1e4, device=pixels.device)
    upper = torch.where(pixels == c["PIXEL_LEVELS"] - 1, infinity, (half_bin - mean_error) / std)
    lower = torch.where(pixels == 0, -infinity, (-half_bin - mean_error) / std)
    at_step_one = (steps == 1).to(pixels.dtype)
    pixel_nats = -per_image(torch.log(torch.clamp(_normal_mass(lower, upper), min=1e-30)))
    reconstruction = step_weight * at_step_one * pixel_nats
    return prior, diffusion, reconstruction
