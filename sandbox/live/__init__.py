"""The live loop: the sandbox as a working stand-in for an MMP and an ad network at once.

Modules by job: ``config`` (networks, campaigns and MMP settings, validated and built into the
scenario model), ``clicks`` (the click tracker's records), ``ingest`` (canonical S2S installs
and events), ``vendors`` (AppsFlyer- and Adjust-shaped requests), ``attribution`` (the
scenario attribution rule over recorded clicks), ``postbacks`` (render with the scenario
renderer, deliver with the delivery engine), ``forward`` (channel tee mode), ``timeline`` and
``reconcile`` (what happened to a click, and what does not add up). Pure where it can be:
the faces in ``sandbox/web/`` hand over plain data.
"""
