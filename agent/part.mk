# agent/part.mk — the IKEv2 agent. Sub-fragments of the crypto, configuration
# and key-log modules are kept beside their sources.
-include agent/crypto/crypto.mk agent/conf/conf.mk agent/keylog/keylog.mk
