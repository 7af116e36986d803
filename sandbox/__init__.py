"""postback-sandbox: a local fake MMP and fake ad network for postback integrations."""

__version__ = "0.1.0"
