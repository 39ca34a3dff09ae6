// DICEKit — preference optimization of language models: DPO and DICE (self-alignment with
// DPO implicit rewards), on the CPU through OpenBLAS and on NVIDIA GPUs (DICEKitCUDA).
//
// The entry page: where the main types live, in the order data flows
// (prompts → samples → rewards → pairs → mixed set → trainer → new policy).
//
// Computing
//   Backend/       `Backend` (buffers and the kernel set), `CPUBackend`; `BLASCore` (call
//                  `BLASCore.configureProcess()` first in `main` to run OpenBLAS's best kernels)
//   Tensor/        `Tensor`: shape-checked forward and backward kernel calls
//   Layers/        `Linear`, `Normalization`, `SelfAttention`, `FeedForward`, `TransformerBlock`
//
// Models and files
//   Models/        `TransformerLM` (log-probs with a pullback, generation), `TransformerSpec`,
//                  `ModelConfig`; Architectures/: `Architecture`, `ArchitectureRegistry`,
//                  `LlamaConfig`, `Qwen2Config`, `GPT2Config`
//   Formats/       `ModelDirectory` (Hugging Face folders), `SafeTensorsFile`, `GGUFFile`, `AtomicFile`
//   Tokenization/  `Tokenizer` (tokenizer.json, GGUF), `ChatTemplate`
//   Generation/    `Generator`, `GenerationParameters`, `SamplingParameters`
//   Data/          `PreferencePair`, `PreferenceDataset`, `JSONL`
//
// The policy contract
//   Policy/        `SequenceScorer`, `DifferentiableSequenceScorer`, `Policy`, `Trainable`
//                  (`TrainablePolicy`, `BootstrapPolicy`), `TransformerPolicy`; `PolicyStore` with
//                  `DirectoryPolicyStore` and `SnapshotPolicyStore`; `ModelID`
//
// Training
//   Optimization/  `Optimizer` (`AdamW`, `SGD`, `OptimizerKind`), `LearningRateSchedule`,
//                  `TrainingStep` (the one update step), `GradientReducer`
//   Training/      `PreferenceLoss` (`DPOLoss`: sigmoid, robust, IPO, hinge), `DPOTrainer`,
//                  `StandardDPOTrainer`, `DPOConfiguration`, `DPOMetrics`, `ReferenceLogProbs`,
//                  `SFTTrainer`
//
// DICE
//   DICE/          `ImplicitRewarder` (`DPOImplicitRewarder`), `PairBuilder`
//                  (`BestWorstPairBuilder`, `LengthRegularizer`), `ReplayMixer`
//                  (`ExperienceReplayMixer`), `DICERound` (the phases), `DICEBootstrapper`,
//                  `DICEConfiguration`, `RoundPlan`
//   Run/           `RunLayout`, `RunMode`, `RunSettings`, `RunState`, `RunFolderLock`,
//                  `RoundReport`, `RunReport`
//   Evaluation/    `Judge`, `HeadToHeadResult`, win rates, `RewardAccuracy`
//   Toy/           `ToyTask`, `TabularPolicy`, `ToyDemo`
//
// Support
//   Random/        `SplitMix64`: every random choice takes a seed
//   Logging/       `LogSubsystem`: the swift-log labels the library logs under (it never prints)
//
// The DocC catalog DICEKit.docc (`make docs`) organises all of this by topic, with articles on
// the DICE loop, custom policies, backends, formats, scaling out and logging.
// Documentation/GettingStarted.md shows the first Swift lines (load a model, render its chat
// template, generate, score); CustomPolicies.md how to bring your own pieces.
