"""2D mixture and MNIST GANs trained by the ``dynamics`` engine (imports dynamics, never streamlit)."""
