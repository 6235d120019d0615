//! `circuitbreaker`: the client-side SRE adaptive throttling of Go kratos (aegis). Being built.
