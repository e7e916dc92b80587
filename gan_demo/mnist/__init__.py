"""MNIST GANs trained by the engine: data, models, evaluation classifier, training CLI, checkpoints."""
