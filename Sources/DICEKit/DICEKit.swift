// DICEKit — preference optimization of language models: DPO and DICE (self-alignment with
// DPO implicit rewards), on the CPU through OpenBLAS and on NVIDIA GPUs.
//
// Start with `Backend` (Backend/), `Tensor` (Tensor/) and the layers and models built on them.
