#include "model/nets.h"

#include "data/error.h"
#include "model/batch_norm.h"
#include "model/explain.h"

#include <stdexcept>

#include <torch/script.h>

#include "data/classes.h"

namespace skinscan {

namespace nn = torch::nn;

namespace {

// conv (no bias) followed by eval BatchNorm == conv with scaled weight and a bias.
void fold_bn(nn::Conv2d& conv, BatchNorm& bn) {
  torch::NoGradGuard guard;
  const torch::Tensor scale = bn->weight / torch::sqrt(bn->running_var + bn->eps);
  conv->weight.mul_(scale.view({-1, 1, 1, 1}));
  torch::Tensor bias = bn->bias - bn->running_mean * scale;
  if (conv->bias.defined()) bias = bias + conv->bias * scale;
  // Conv2d registers an undefined "bias" when built without one; the member is what
  // forward() reads, and this serving copy is never saved, so setting it is enough.
  conv->bias = bias;
  // Channels-last (NHWC) weights, as fast_conv's inputs: oneDNN then runs its NHWC kernels
  // without reordering weights or activations at every call (~30% faster at batch 1).
  conv->weight.set_data(conv->weight.contiguous(torch::MemoryFormat::ChannelsLast));
}

// Serving-time convolution through oneDNN (MKL-DNN) directly. LibTorch's dispatcher sends
// some small convolutions (batch 1, 1x1 stride-2 shortcuts among them) to its slow im2col
// path, 2.5 ms each here; oneDNN computes the same values (to ~1e-6) in microseconds and
// keeps autograd (Grad-CAM). Used only by folded (inference) nets, whose weights are final.
// Activations flow channels-last (NHWC) through a folded net: the first convolution takes
// the NCHW input to NHWC once, and ReLU, the residual sums and the mean pool keep the layout.
torch::Tensor fast_conv(nn::Conv2d& c, const torch::Tensor& x) {
  if (!at::hasMKLDNN()) return c->forward(x);
  const auto& o = c->options;
  const auto* pad = c10::get_if<torch::ExpandingArray<2>>(&o.padding());
  if (pad == nullptr || o.groups() != 1) return c->forward(x);
  return torch::mkldnn_convolution(x.contiguous(torch::MemoryFormat::ChannelsLast), c->weight,
                                   c->bias, *pad, o.stride(), o.dilation(), o.groups());
}

}  // namespace

torch::Tensor NetImpl::dropout(torch::nn::Dropout& drop, const torch::Tensor& x) {
  if (!dropout_generator || !is_training()) return drop(x);
  // What nn::Dropout computes (ATen's dropout: Bernoulli noise scaled by 1 / (1 - p), times
  // the input), with the masks drawn from this net's own generator.
  const double p = drop->options.p();
  torch::Tensor noise = torch::empty_like(x).bernoulli_(1.0 - p, *dropout_generator);
  noise.div_(1.0 - p);
  return x * noise;
}

std::size_t NetImpl::share_batch_norm(const std::shared_ptr<BatchNormSync>& sync,
                                      std::size_t rank) {
  std::size_t set = 0;
  for (const std::shared_ptr<torch::nn::Module>& m : modules(/*include_self=*/false)) {
    if (auto* bn = dynamic_cast<BatchNormImpl*>(m.get())) {
      bn->sync = sync;
      bn->rank = rank;
      ++set;
    }
  }
  return set;
}

namespace {

constexpr long kClassesOut = static_cast<long>(kNumClasses);

// The seed article's Keras network, layer for layer (Keras flattens HWC, we flatten CHW:
// the same function class, trained from scratch either way).
struct SeedCnnImpl : NetImpl {
  nn::Conv2d c1{nn::Conv2dOptions(3, 16, 3).padding(1)};   // 28x28, same
  nn::Conv2d c2{nn::Conv2dOptions(16, 32, 3)};             // -> 26x26, valid
  nn::Conv2d c3{nn::Conv2dOptions(32, 32, 3).padding(1)};  // 13x13, same
  nn::Conv2d c4{nn::Conv2dOptions(32, 64, 3)};             // -> 11x11, valid
  nn::Linear d1{6 * 6 * 64, 64}, d2{64, 32}, d3{32, kClassesOut};

  SeedCnnImpl() {
    register_module("c1", c1);
    register_module("c2", c2);
    register_module("c3", c3);
    register_module("c4", c4);
    register_module("d1", d1);
    register_module("d2", d2);
    register_module("d3", d3);
  }
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(torch::Tensor x) override {
    x = torch::relu(c2(torch::relu(c1(x))));
    x = torch::max_pool2d(x, 2);                               // 13x13
    torch::Tensor f = torch::relu(c4(torch::relu(c3(x))));     // 11x11
    x = torch::max_pool2d(f, 2, 2, 0, 1, /*ceil_mode=*/true);  // 6x6 ("same")
    x = torch::relu(d1(x.flatten(1)));
    x = torch::relu(d2(x));
    return {f, d3(x)};
  }
  torch::Tensor forward(torch::Tensor x) override { return forward_with_features(x).second; }
};

struct BasicBlockImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, conv2{nullptr}, down{nullptr};
  BatchNorm bn1{nullptr}, bn2{nullptr}, down_bn{nullptr};

  BasicBlockImpl(long in, long out, long stride) {
    conv1 = register_module(
        "conv1", nn::Conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
    bn1 = register_module("bn1", BatchNorm(out));
    conv2 =
        register_module("conv2", nn::Conv2d(nn::Conv2dOptions(out, out, 3).padding(1).bias(false)));
    bn2 = register_module("bn2", BatchNorm(out));
    if (stride != 1 || in != out) {
      down = register_module("down",
                             nn::Conv2d(nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
      down_bn = register_module("down_bn", BatchNorm(out));
    }
  }
  bool fused = false;

  void fuse() {
    fold_bn(conv1, bn1);
    fold_bn(conv2, bn2);
    if (down) fold_bn(down, down_bn);
    fused = true;
  }
  torch::Tensor forward(torch::Tensor x) {
    if (fused) {
      torch::Tensor y = fast_conv(conv2, torch::relu(fast_conv(conv1, x)));
      return torch::relu(y + (down ? fast_conv(down, x) : x));
    }
    torch::Tensor y = torch::relu(bn1(conv1(x)));
    y = bn2(conv2(y));
    return torch::relu(y + (down ? down_bn(down(x)) : x));
  }
};
TORCH_MODULE(BasicBlock);

// A residual net: stem (3x3 stride 2; with `stride4_stem` a 3x3 stride-2 convolution to
// widths[0] / 2 channels, then a second 3x3 stride-2 one to widths[0]), one basic block per
// width (the first at stride 1, the others at stride 2), global mean pool, dropout, linear.
// The stride-4 stem takes an input twice as wide and high to the same maps as the stride-2
// one: more pixels reach the first layer, the stages cost what they cost at half the input.
struct ResNetSImpl : NetImpl {
  nn::Conv2d stem{nullptr}, stem2{nullptr};
  BatchNorm stem_bn{nullptr}, stem2_bn{nullptr};
  nn::Sequential stages;
  nn::Dropout drop{0.2};
  nn::Linear fc{nullptr};

  ResNetSImpl(const std::vector<long>& widths, bool stride4_stem) {
    const long first = stride4_stem ? widths[0] / 2 : widths[0];
    stem = register_module(
        "stem", nn::Conv2d(nn::Conv2dOptions(3, first, 3).stride(2).padding(1).bias(false)));
    stem_bn = register_module("stem_bn", BatchNorm(first));
    if (stride4_stem) {
      stem2 = register_module(
          "stem2",
          nn::Conv2d(nn::Conv2dOptions(first, widths[0], 3).stride(2).padding(1).bias(false)));
      stem2_bn = register_module("stem2_bn", BatchNorm(widths[0]));
    }
    long in = widths[0];
    for (std::size_t i = 0; i < widths.size(); ++i) {
      stages->push_back(BasicBlock(in, widths[i], i == 0 ? 1 : 2));
      in = widths[i];
    }
    register_module("stages", stages);
    register_module("drop", drop);
    fc = register_module("fc", nn::Linear(in, kClassesOut));
  }
  bool fused = false;

  void fuse_for_inference() override {
    if (fused) return;
    eval();
    fold_bn(stem, stem_bn);
    if (stem2) fold_bn(stem2, stem2_bn);
    for (std::size_t i = 0; i < stages->size(); ++i) stages[i]->as<BasicBlockImpl>()->fuse();
    fused = true;
  }
  // The stem's output map (the first stage's input).
  torch::Tensor stem_forward(const torch::Tensor& x) {
    torch::Tensor s = fused ? fast_conv(stem, x) : stem(x);
    torch::Tensor f = torch::relu(fused ? s : stem_bn(s));
    if (!stem2) return f;
    s = fused ? fast_conv(stem2, f) : stem2(f);
    return torch::relu(fused ? s : stem2_bn(s));
  }
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(torch::Tensor x) override {
    torch::Tensor f = stages->forward(stem_forward(x));
    torch::Tensor pooled = f.mean({2, 3});
    return {f, fc(dropout(drop, pooled))};
  }
  torch::Tensor forward(torch::Tensor x) override { return forward_with_features(x).second; }
  // Stem and stages 0..k; head_from() finishes the forward pass from that map.
  torch::Tensor until_stage(torch::Tensor x, std::size_t k) {
    torch::Tensor f = stem_forward(x);
    for (std::size_t i = 0; i <= k && i < stages->size(); ++i)
      f = stages[i]->as<BasicBlockImpl>()->forward(f);
    return f;
  }
  torch::Tensor head_from(torch::Tensor f, std::size_t k) {
    for (std::size_t i = k + 1; i < stages->size(); ++i)
      f = stages[i]->as<BasicBlockImpl>()->forward(f);
    return fc(dropout(drop, f.mean({2, 3})));
  }
  // The k-th stage's output and the logits.
  std::pair<torch::Tensor, torch::Tensor> forward_with_stage(torch::Tensor x, std::size_t k) {
    torch::Tensor kept = until_stage(x, k);
    return {kept, head_from(kept, k)};
  }
};

// The stage whose map residual nets are explained on (1/4 of the input resolution; 1/8
// behind a stride-4 stem, the same map size at twice the input).
constexpr std::size_t kExplainedStage = 1;

struct EnsembleNetImpl : NetImpl {
  std::vector<EnsembleMember> members;

  std::vector<torch::Tensor> offsets;  // [1,7] each; from model.json, not in the archive

  explicit EnsembleNetImpl(std::vector<EnsembleMember> m) : members(std::move(m)) {
    for (std::size_t i = 0; i < members.size(); ++i) {
      register_module("m" + std::to_string(i), members[i].net);
      offsets.push_back(
          torch::tensor(std::vector<float>(members[i].offset.begin(), members[i].offset.end()))
              .unsqueeze(0));
    }
  }
  // log of the mean of the members' calibrated probabilities, from their raw logits.
  torch::Tensor combine(const std::vector<torch::Tensor>& logits) const {
    std::vector<torch::Tensor> logp;
    for (std::size_t i = 0; i < members.size(); ++i) {
      logp.push_back(torch::log_softmax(
          (logits[i] + offsets[i].to(logits[i].device())) / members[i].temperature, 1));
    }
    return torch::logsumexp(torch::stack(logp), 0) - std::log(static_cast<double>(logp.size()));
  }
  // Features: the members' pooled features side by side [N, sum D_i].
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(torch::Tensor x) override {
    std::vector<torch::Tensor> feats, logits;
    for (auto& m : members) {
      auto [f, l] = m.net->forward_with_features(x);
      feats.push_back(f.dim() == 4 ? f.mean({2, 3}) : f);
      logits.push_back(l);
    }
    return {torch::cat(feats, 1), combine(logits)};
  }
  torch::Tensor forward(torch::Tensor x) override {
    std::vector<torch::Tensor> logits;
    for (auto& m : members) logits.push_back(m.net->forward(x));
    return combine(logits);
  }
  void fuse_for_inference() override {
    eval();
    for (auto& m : members) m.net->fuse_for_inference();
  }
  // All members residual nets (same input, same strides, so same map size): their
  // explained-stage maps concatenated along channels, and
  // each member finishes its pass from its slice of that one tensor, so the gradient of the
  // ensemble's logits with respect to it holds every member's share (LayerCAM sums them).
  // Otherwise the first member's map, still with the ensemble's logits.
  std::pair<torch::Tensor, torch::Tensor> forward_for_explanation(torch::Tensor x) {
    std::vector<ResNetSImpl*> res;
    for (auto& m : members)
      if (auto* r = dynamic_cast<ResNetSImpl*>(m.net.get())) res.push_back(r);
    if (res.size() != members.size()) {
      std::vector<torch::Tensor> logits;
      auto [f, l0] = members[0].net->forward_with_features(x);
      logits.push_back(l0);
      for (std::size_t i = 1; i < members.size(); ++i) logits.push_back(members[i].net->forward(x));
      return {f, combine(logits)};
    }
    std::vector<torch::Tensor> maps;
    for (auto* r : res) maps.push_back(r->until_stage(x, kExplainedStage));
    const torch::Tensor all = torch::cat(maps, 1);
    std::vector<torch::Tensor> logits;
    long at = 0;
    for (std::size_t i = 0; i < res.size(); ++i) {
      const long c = maps[i].size(1);
      logits.push_back(res[i]->head_from(all.narrow(1, at, c), kExplainedStage));
      at += c;
    }
    return {all, combine(logits)};
  }
};

// A TorchScript feature extractor with a new linear head. The scripted module's parameters
// and buffers are registered on this module (same tensors), so the optimiser, snapshots and
// weight archives see them like any other parameter.
struct BackboneNetImpl : NetImpl {
  torch::jit::Module backbone;
  nn::Dropout drop{0.2};
  nn::Linear fc{nullptr};

  BackboneNetImpl(torch::jit::Module m, const InputSpec& input) : backbone(std::move(m)) {
    auto safe = [](std::string n) {
      std::replace(n.begin(), n.end(), '.', '_');
      return "backbone_" + n;
    };
    for (const auto& p : backbone.named_parameters(true)) register_parameter(safe(p.name), p.value);
    for (const auto& b : backbone.named_buffers(true)) register_buffer(safe(b.name), b.value);
    backbone.eval();
    torch::NoGradGuard guard;
    const torch::Tensor f = features(torch::zeros({1, 3, input.height, input.width}));
    register_module("drop", drop);
    fc = register_module("fc", nn::Linear(f.size(1), kClassesOut));
  }
  torch::Tensor features(const torch::Tensor& x) {
    torch::Tensor out = backbone.forward({x}).toTensor();
    if (out.dim() == 4) return out;
    if (out.dim() == 2) return out;
    throw skinscan::Error(
        skinscan::ErrorCode::kInvalidArgument,
        "backbone output must be [N,C] or [N,C,h,w], got " + c10::str(out.sizes()));
  }
  std::pair<torch::Tensor, torch::Tensor> forward_with_features(torch::Tensor x) override {
    torch::Tensor f = features(x);
    torch::Tensor pooled = f.dim() == 4 ? f.mean({2, 3}) : f;
    return {f, fc(dropout(drop, pooled))};
  }
  torch::Tensor forward(torch::Tensor x) override { return forward_with_features(x).second; }
  void train(bool on) override {
    NetImpl::train(on);
    backbone.train(on);
  }
};

}  // namespace

void save_backbone(const Net& net, const std::string& path) {
  if (auto* b = dynamic_cast<BackboneNetImpl*>(net.get())) b->backbone.save(path);
}

const std::vector<ArchInfo>& architectures() {
  static const std::vector<ArchInfo> kArchs = {
      {"seed-cnn",
       {28, 28, {0.5f, 0.5f, 0.5f}, {0.5f, 0.5f, 0.5f}},
       "the seed article's Keras CNN on 28x28 RGB (4 conv, 3 dense)"},
      {"resnet-s",
       {96, 72, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}},
       "small residual net, widths 24-48-96-192, 96x72 RGB",
       {24, 48, 96, 192}},
      {"resnet-m",
       {96, 72, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}},
       "small residual net, widths 32-64-128-256, 96x72 RGB",
       {32, 64, 128, 256}},
      {"resnet-s-hr",
       {192, 144, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}},
       "resnet-s behind a stride-4 stem (two 3x3 stride-2 convolutions), 192x144 RGB",
       {24, 48, 96, 192},
       /*stride4_stem=*/true},
      {"backbone",
       {128, 96, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}},
       "user-supplied TorchScript backbone (--backbone) with a new 7-class head"},
      {"ensemble",
       {96, 72, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}},
       "mean of several trained models' calibrated probabilities (skinscan ensemble)"},
  };
  return kArchs;
}

const ArchInfo& arch_info(const std::string& name) {
  for (const auto& a : architectures())
    if (a.name == name) return a;
  std::string known;
  for (const auto& a : architectures()) known += (known.empty() ? "" : ", ") + a.name;
  throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                        "unknown architecture '" + name + "' (known: " + known + ")");
}

Net make_net(const std::string& arch, const InputSpec& input, const std::string& backbone_file) {
  const ArchInfo& info = arch_info(arch);
  if (info.residual()) return std::make_shared<ResNetSImpl>(info.widths, info.stride4_stem);
  if (arch == "ensemble")
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "an ensemble is built from trained models (skinscan ensemble)");
  if (arch == "backbone") {
    if (backbone_file.empty())
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "arch backbone needs --backbone FILE.pt");
    torch::jit::Module m;
    try {
      m = torch::jit::load(backbone_file);
    } catch (const c10::Error& e) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            backbone_file + ": not a loadable TorchScript module: " +
                                std::string(e.what_without_backtrace()).substr(0, 300));
    }
    try {
      return std::make_shared<BackboneNetImpl>(std::move(m), input);
    } catch (const c10::Error& e) {
      throw skinscan::Error(
          skinscan::ErrorCode::kInvalidArgument,
          backbone_file + ": the backbone fails on a " + std::to_string(input.width) + "x" +
              std::to_string(input.height) +
              " input: " + std::string(e.what_without_backtrace()).substr(0, 300));
    }
  }
  if (arch == "seed-cnn") {
    if (input.width != 28 || input.height != 28) {
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument, "seed-cnn takes 28x28 input");
    }
    return std::make_shared<SeedCnnImpl>();
  }
  throw skinscan::Error(skinscan::ErrorCode::kInternal, "make_net: no network for " + arch);
}

Net make_ensemble(std::vector<EnsembleMember> members) {
  if (members.empty())
    throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                          "an ensemble needs at least one member");
  for (const auto& m : members) {
    if (!m.net)
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "ensemble member without a network");
    if (dynamic_cast<EnsembleNetImpl*>(m.net.get()))
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "an ensemble cannot contain an ensemble");
    if (!(m.temperature > 0))
      throw skinscan::Error(skinscan::ErrorCode::kInvalidArgument,
                            "ensemble member temperature must be > 0");
  }
  return std::make_shared<EnsembleNetImpl>(std::move(members));
}

std::pair<torch::Tensor, torch::Tensor> forward_for_explanation(NetImpl& net, torch::Tensor x) {
  if (auto* r = dynamic_cast<ResNetSImpl*>(&net)) return r->forward_with_stage(x, kExplainedStage);
  if (auto* e = dynamic_cast<EnsembleNetImpl*>(&net)) return e->forward_for_explanation(x);
  return net.forward_with_features(x);
}

}  // namespace skinscan
