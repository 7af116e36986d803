"""Device models, OS versions and user agents per platform, precomputed as weighted combos."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.scenarios.distributions import Weighted

# (model identifier, weight); identifiers as MMPs report them
IOS_MODELS = (
    ("iPhone17,1", 4), ("iPhone17,3", 5), ("iPhone16,2", 8), ("iPhone16,1", 7),
    ("iPhone15,4", 8), ("iPhone15,3", 7), ("iPhone15,2", 7), ("iPhone14,7", 8),
    ("iPhone14,5", 10), ("iPhone14,2", 6), ("iPhone13,2", 7), ("iPhone12,1", 6),
    ("iPhone14,6", 3),
)
IOS_VERSIONS = (
    ("16.7.10", 4), ("17.4.1", 4), ("17.5.1", 6), ("17.6.1", 8), ("18.0.1", 6),
    ("18.1.1", 10), ("18.2.1", 14), ("18.3.2", 18), ("18.5", 30),
)
# (brand, model, weight)
ANDROID_MODELS = (
    ("samsung", "SM-S918B", 5), ("samsung", "SM-S911B", 6), ("samsung", "SM-A546B", 9),
    ("samsung", "SM-A145F", 8), ("samsung", "SM-G991B", 5), ("samsung", "SM-A536B", 6),
    ("Xiaomi", "23021RAAEG", 7), ("Xiaomi", "2201117TG", 6), ("Google", "Pixel 7", 4),
    ("Google", "Pixel 8", 4), ("Google", "Pixel 6a", 3), ("motorola", "moto g54 5G", 4),
    ("OnePlus", "CPH2449", 2),
)
# (Android version, build id used by most vendors, build id on Pixels, weight)
ANDROID_VERSIONS = (
    ("12", "SP1A.210812.016", "SQ3A.220705.004", 12),
    ("13", "TP1A.220624.014", "TQ3A.230901.001", 24),
    ("14", "UP1A.231005.007", "UQ1A.240205.004", 38),
    ("15", "AP3A.240905.015", "AP4A.250105.002", 26),
)


@dataclass(frozen=True, slots=True)
class DeviceKind:
    platform: str
    brand: str
    model: str
    os_version: str
    user_agent: str


def ios_user_agent(os_version: str) -> str:
    return (
        f"Mozilla/5.0 (iPhone; CPU iPhone OS {os_version.replace('.', '_')} like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
    )


def android_user_agent(os_version: str, model: str, build: str) -> str:
    return f"Dalvik/2.1.0 (Linux; U; Android {os_version}; {model} Build/{build})"


def device_kinds(platform: str) -> Weighted[DeviceKind]:
    """Every (model, OS version) pair of a platform, weighted by model share x OS share."""
    combos: dict[DeviceKind, float] = {}
    if platform == "ios":
        for model, model_weight in IOS_MODELS:
            for version, version_weight in IOS_VERSIONS:
                kind = DeviceKind("ios", "apple", model, version, ios_user_agent(version))
                combos[kind] = model_weight * version_weight
    else:
        for brand, model, model_weight in ANDROID_MODELS:
            for version, build, pixel_build, version_weight in ANDROID_VERSIONS:
                build_id = pixel_build if brand == "Google" else build
                user_agent = android_user_agent(version, model, build_id)
                combos[DeviceKind("android", brand, model, version, user_agent)] = (
                    model_weight * version_weight
                )
    return Weighted.from_mapping(combos)
