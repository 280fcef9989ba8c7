#include "cli_commands.h"

#include "data_commands.h"
#include "score_command.h"
#include "tokenizer.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <stdexcept>

namespace ember::cli {

namespace {

using nlohmann::json;

int cmdTokenize(const Args& a)
{
    std::string text = a.has("--text") ? a.get("--text") : "";
    if (!a.has("--text")) {
        if (a.positional().size() != 1)
            throw UsageError("tokenize needs one TEXT argument (or --text TEXT)");
        text = a.positional()[0];
    }
    const auto ids = ember::Tokenizer::shared()->encode(text);
    std::cout << json(ids).dump() << "\n";
    return 0;
}

const Option kWorkspace{"-w,--workspace", "DIR", "the workspace folder", true};
const Option kJson{"--json", "", "JSON lines on stdout (also when stdout is not a terminal)"};


Command trainCommand()
{
    return {"train",
            "run a training stage (or all four); Ctrl-C checkpoints and exits 130, --resume continues",
            {kWorkspace,
             {"--stage", "STAGE", "1 alignment, 2 instruction, 3 selection, 4 reasoning, or all"},
             {"--config", "JSON", "training config fields (docs/training.md)"},
             {"--preset", "NAME", "model preset for a fresh start"},
             {"--init", "FILE", "start from this checkpoint"},
             {"--resume", "RUN", "continue a stopped run"},
             {"--name", "TEXT", "the run's name"},
             {"--world-size", "N", "data-parallel processes (Gloo)"},
             {"--rank", "R", "this process's rank"},
             {"--master", "HOST:PORT", "rank 0's address (default 127.0.0.1:29500)"},
             threadsSpec(),
             kJson},
            "",
            "",
            {}};
}

Command evalCommand()
{
    return {"eval",
            "selection, image reliance (blind), answer, caption and reasoning metrics of a checkpoint",
            {kWorkspace,
             {"--checkpoint", "FILE", "the checkpoint", true},
             {"--split", "SPLIT", "val (default), test, train or all"},
             {"--text-samples", "N", "samples per text metric (default 100)"},
             {"--threshold", "X", "consistency threshold in [0, 1] (default: the model's)"},
             {"--texts", "FILE", "write every generated text with its reference (JSON lines)"},
             {"--captions-out", "FILE", "write the generated captions as a COCO results file"},
             {"--answers-out", "FILE", "write the generated answers as a VQA results file"},
             {"--json", "", "print JSON"},
             {"--per-sample", "", "with --json: every sample's result"},
             {"--no-record", "", "do not store the evaluation in the workspace"},
             threadsSpec()},
            "",
            "",
            {}};
}

Command demoCommand()
{
    return {"demo",
            "the demo world, the demo recipe's four stages (resources/recipes/demo.json), test metrics",
            {kWorkspace,
             {"--samples", "N", "demo-world samples when the workspace is empty (default 2000)"},
             {"--seed", "S", "demo-world seed (default 1)"},
             {"--steps-scale", "F", "multiply every stage's steps (quick tries)"},
             {"--text-samples", "N", "samples per text metric (default 100)"},
             {"--quiet", "", "no progress"},
             kJson,
             threadsSpec()},
            "",
            "",
            {}};
}


// Options of the commands that load or build a model.
std::vector<Option> modelOptions(std::vector<Option> own)
{
    own.push_back(threadsSpec());
    own.push_back({"--device", "DEVICE", "cpu or cuda (default cpu)"});
    own.push_back({"--resize", "MODE", "how an image meets the model's square input: resize, crop or pad"});
    own.push_back({"--config", "JSON", "model configuration overrides, e.g. {\"image_size\":64}"});
    return own;
}

std::vector<Option> generationOptions()
{
    return {{"--checkpoint", "FILE", "model checkpoint (.safetensors)", true},
            {"--image", "FILE", "image to ask about"},
            {"--prompt", "TEXT", "the question", true},
            {"--raw", "", "send the prompt as it is, without the question template"},
            {"--max-tokens", "N", "most tokens to generate (default 64)"},
            {"--temperature", "T", "0 = greedy (default)"},
            {"--top-k", "K", "sample from the K most likely tokens (0 = all)"},
            {"--top-p", "P", "nucleus sampling, in (0, 1]"},
            {"--seed", "S", "sampling seed"}};
}

} // namespace

std::vector<Command> commandTree()
{
    return {
        {"info", "parameters, FLOPs and the CPU path in use",
         modelOptions({{"--preset", "NAME", "base, lite or reasoning (default base)"},
                       {"--checkpoint", "FILE", "describe this checkpoint instead of a preset"},
                       {"--json", "", "print JSON"}}),
         "", "", {}},
        {"params", "every parameter name, shape and dtype",
         modelOptions({{"--preset", "NAME", "base, lite or reasoning (default base)"}}), "", "", {}},
        {"init", "write a randomly initialised checkpoint",
         modelOptions({{"--preset", "NAME", "base, lite or reasoning (default base)"},
                       {"--seed", "S", "initialisation seed (default 0)"},
                       {"-o", "FILE", "output checkpoint", true}}),
         "", "", {}},
        {"convert", "import timm / Hugging Face weights into a checkpoint",
         modelOptions({{"--timm", "FILE", "timm RepViT weights (.safetensors, or a .pth/.pt torch.save state dict)"},
                       {"--gpt2", "FILE", "Hugging Face GPT-2 weights (model.safetensors or pytorch_model.bin)"},
                       {"--base", "FILE", "checkpoint whose other parts are kept"},
                       {"--preset", "NAME", "preset for the parts not given (default base)"},
                       {"--seed", "S", "seed for the parts initialised at random"},
                       {"-o", "FILE", "output checkpoint", true}}),
         "", "", {}},
        {"ask", "stream an answer about an image", modelOptions(generationOptions()), "", "", {}},
        {"select", "choose the robot for a task, with the reasoning trace",
         modelOptions({{"--checkpoint", "FILE", "model checkpoint", true},
                       {"--image", "FILE", "image of the scene"},
                       {"--task", "TEXT", "the task", true},
                       {"--threshold", "X", "consistency threshold in [0, 1]"},
                       {"--max-steps", "N", "most reasoning steps (0: the model's)"},
                       {"--json", "", "print JSON"}}),
         "", "", {}},
        {"tokenize", "GPT-2 token ids of a text, as a JSON array",
         {{"--text", "TEXT", "the text (or give it as the argument; `--` before a text that starts with -)"}}, "TEXT",
         "the text", cmdTokenize},
        {"forward", "numbers for cross-implementation checks",
         modelOptions({{"--checkpoint", "FILE", "model checkpoint", true},
                       {"--image", "FILE", "image"},
                       {"--prompt", "TEXT", "prompt"},
                       {"--json", "", "one line of JSON"}}),
         "", "", {}},
        dataCommand(),
        trainCommand(),
        evalCommand(),
        demoCommand(),
        scoreCommand(),
    };
}

void bindRun(std::vector<Command>& tree, const std::string& name, std::function<int(const Args&)> run)
{
    for (auto& c : tree)
        if (c.name == name) {
            c.run = std::move(run);
            return;
        }
    throw std::logic_error("no command " + name);
}

const char* const kDescription = "EmberVLM on the command line: the same engine, data and training as the studio.";

const char* const kFooter =
    "Environment: EMBERVLM_ISA=avx512|avx2|generic runs a lower CPU path than this CPU's (oneDNN and\n"
    "OpenBLAS follow); EMBERVLM_ONEDNN=0 runs LibTorch's ops instead of oneDNN's.\n"
    "Exit status: 0 success, 1 the command failed, 2 usage error; train and demo stopped by\n"
    "Ctrl-C or SIGTERM save a checkpoint and exit 130 or 143.\n"
    "`embervlm COMMAND --help` describes a command.";

} // namespace ember::cli
