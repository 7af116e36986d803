"""Signing and verification of postbacks, shared by the sender (delivery) and the receiver.

Pure: data in, data out; no Flask, no SQL, no HTTP. The sender calls ``sign``, the receiver
calls ``verify``; both build canonical bytes with the same functions, so a signed request
verifies by construction.

    profile = parse_profile(channel_config["verification"], env=os.environ)
    signed = sign(profile, OutgoingRequest("POST", url, headers, body),
                  message_id=delivery_id, at=clock.now())
    result = verify(profile, IncomingRequest(...), now=clock.now(), seen_before=store_lookup)
"""

from sandbox.signing.aak import decode_jws, sign_jws, verify_jws
from sandbox.signing.fields import Secret
from sandbox.signing.keys import (
    APPLE_AAK_KEYS,
    APPLE_SKAN_KEYS,
    TrustedKey,
    generate_private_key,
    key_id,
    load_public_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_b64,
    sandbox_trusted_key,
)
from sandbox.signing.profiles import (
    HeaderTokenProfile,
    HmacProfile,
    IpAllowlistProfile,
    NoneProfile,
    Profile,
    QueryTokenProfile,
    SkanProfile,
    StandardWebhooksProfile,
    parse_profile,
    profile_to_dict,
)
from sandbox.signing.shared_secret import SeenBefore
from sandbox.signing.sign import sign
from sandbox.signing.skan import sign_postback, signed_string, verify_postback
from sandbox.signing.verdict import VERDICTS, Verdict, VerdictName
from sandbox.signing.verify import verify
from sandbox.signing.wire import IncomingRequest, OutgoingRequest

__all__ = [
    "APPLE_AAK_KEYS",
    "APPLE_SKAN_KEYS",
    "VERDICTS",
    "HeaderTokenProfile",
    "HmacProfile",
    "IncomingRequest",
    "IpAllowlistProfile",
    "NoneProfile",
    "OutgoingRequest",
    "Profile",
    "QueryTokenProfile",
    "Secret",
    "SeenBefore",
    "SkanProfile",
    "StandardWebhooksProfile",
    "TrustedKey",
    "Verdict",
    "VerdictName",
    "decode_jws",
    "generate_private_key",
    "key_id",
    "load_public_key",
    "parse_profile",
    "private_key_from_pem",
    "private_key_to_pem",
    "profile_to_dict",
    "public_key_b64",
    "sandbox_trusted_key",
    "sign",
    "sign_jws",
    "sign_postback",
    "signed_string",
    "verify",
    "verify_jws",
    "verify_postback",
]
