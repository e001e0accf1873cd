"""Latency of the networks of `fovea-bench models` under onnxruntime.

Each network is written here as an ONNX graph (NCHW, float32, seeded random
weights; batch norms already folded, as onnxruntime would fold them) with
the same layers, sizes and padding as Fovea's model, then timed at batch 1
(MTCNN O-Net: batch 16) like the Fovea benchmark: warm-up, then the median
over repeated runs. Prints CSV rows

    onnxruntime,model,<network>,<threads>,median_ms,,best_ms,samples,"note"

Usage: python3 models.py --threads N [--quick] [--only resnet50,...]
       python3 models.py --list     (the network names, one per line)
Needs numpy, onnx and onnxruntime (pip); Fovea itself does not use Python.
"""
import argparse
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


class Net:
    """Builds an ONNX graph node by node, tracking channel counts."""

    def __init__(self, name, shape):
        self.name, self.nodes, self.inits, self.count = name, [], [], 0
        self.rng = np.random.default_rng(0)
        self.inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)]
        self.outputs = []

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, array, prefix="w"):
        name = self.fresh(prefix)
        array = np.asarray(array)
        if array.dtype != np.int64:
            array = array.astype(np.float32)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, kind, inputs, **attributes):
        out = self.fresh(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out

    def conv(self, x, cin, cout, k, stride=1, pads=None, group=1, act=None, alpha=0.1):
        pads = pads if pads is not None else [0, 0, 0, 0]
        w = self.rng.standard_normal((cout, cin // group, k, k)).astype(np.float32) * np.sqrt(2.0 / (cin // group * k * k))
        b = self.rng.standard_normal(cout).astype(np.float32) * 0.01
        y = self.op("Conv", [x, self.const(w), self.const(b, "b")], kernel_shape=[k, k], strides=[stride, stride],
                    pads=pads, group=group)
        return self.activate(y, act, alpha)

    def activate(self, y, act, alpha=0.1):
        if act == "relu":
            return self.op("Relu", [y])
        if act == "relu6":
            return self.op("Clip", [y, self.const(np.float32(0), "lo"), self.const(np.float32(6), "hi")])
        if act == "leaky":
            return self.op("LeakyRelu", [y], alpha=alpha)
        if act == "prelu":
            raise ValueError("use prelu()")
        return y

    def prelu(self, x, channels, spatial=True):
        slope = np.full((channels, 1, 1) if spatial else (channels,), 0.25, dtype=np.float32)
        return self.op("PRelu", [x, self.const(slope, "slope")])

    def gemm(self, x, fin, fout, act=None):
        w = self.rng.standard_normal((fin, fout)).astype(np.float32) * np.sqrt(2.0 / fin)
        y = self.op("Gemm", [x, self.const(w), self.const(np.zeros(fout), "b")])
        return self.activate(y, act)

    def maxpool(self, x, k, s, pads=None, ceil=0):
        return self.op("MaxPool", [x], kernel_shape=[k, k], strides=[s, s], pads=pads or [0, 0, 0, 0], ceil_mode=ceil)

    def output(self, y):
        self.outputs.append(helper.make_tensor_value_info(y, TensorProto.FLOAT, None))

    def model(self):
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        return model


def same_pads(size, k, s):
    """TensorFlow's SAME padding for one axis: (before, after)."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def resnet50():
    n = Net("resnet50", [1, 3, 224, 224])
    x = n.conv("input", 3, 64, 7, 2, [3, 3, 3, 3], act="relu")
    x = n.maxpool(x, 3, 2, [1, 1, 1, 1])
    c = 64
    for filters, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for b in range(blocks):
            s = stride if b == 0 else 1
            y = n.conv(x, c, filters, 1, s, act="relu")
            y = n.conv(y, filters, filters, 3, 1, [1, 1, 1, 1], act="relu")
            y = n.conv(y, filters, filters * 4, 1)
            short = n.conv(x, c, filters * 4, 1, s) if b == 0 else x
            x = n.op("Relu", [n.op("Add", [y, short])])
            c = filters * 4
    x = n.op("Flatten", [n.op("GlobalAveragePool", [x])])
    n.output(n.op("Softmax", [n.gemm(x, 2048, 1000)], axis=1))
    return n


def mobilenet_v2():
    n = Net("mobilenet_v2", [1, 3, 224, 224])
    size = 224
    p = same_pads(size, 3, 2)
    x = n.conv("input", 3, 32, 3, 2, [p[0], p[0], p[1], p[1]], act="relu6")
    size, c, block = 112, 32, 0
    for t, f, reps, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                               (6, 160, 3, 2), (6, 320, 1, 1)]:
        for r in range(reps):
            s = stride if r == 0 else 1
            e = c * t
            y = n.conv(x, c, e, 1, act="relu6") if block > 0 else x
            p = same_pads(size, 3, s)
            y = n.conv(y, e, e, 3, s, [p[0], p[0], p[1], p[1]], group=e, act="relu6")
            y = n.conv(y, e, f, 1)
            x = n.op("Add", [x, y]) if s == 1 and c == f else y
            size = -(-size // s)
            c, block = f, block + 1
    x = n.conv(x, c, 1280, 1, act="relu6")
    x = n.op("Flatten", [n.op("GlobalAveragePool", [x])])
    n.output(n.op("Softmax", [n.gemm(x, 1280, 1000)], axis=1))
    return n


def vgg16():
    n = Net("vgg16", [1, 3, 224, 224])
    x, c = "input", 3
    for block, count in enumerate([2, 2, 3, 3, 3]):
        f = min(64 << block, 512)
        for _ in range(count):
            x, c = n.conv(x, c, f, 3, 1, [1, 1, 1, 1], act="relu"), f
        x = n.maxpool(x, 2, 2)
    x = n.op("Flatten", [x])
    x = n.gemm(x, 25088, 4096, act="relu")
    x = n.gemm(x, 4096, 4096, act="relu")
    n.output(n.op("Softmax", [n.gemm(x, 4096, 1000)], axis=1))
    return n


def yolov3_tiny():
    n = Net("yolov3_tiny", [1, 3, 416, 416])
    x, c, kept = "input", 3, {}
    for i, f in enumerate([16, 32, 64, 128, 256, 512]):
        x, c = n.conv(x, c, f, 3, 1, [1, 1, 1, 1], act="leaky"), f
        if f == 256:
            kept[8] = x
        x = n.maxpool(x, 2, 2) if f < 512 else n.maxpool(x, 2, 1, [0, 0, 1, 1])
    x = n.conv(x, 512, 1024, 3, 1, [1, 1, 1, 1], act="leaky")
    route = n.conv(x, 1024, 256, 1, act="leaky")
    y = n.conv(route, 256, 512, 3, 1, [1, 1, 1, 1], act="leaky")
    n.output(n.op("Sigmoid", [n.conv(y, 512, 255, 1)]))
    y = n.conv(route, 256, 128, 1, act="leaky")
    y = n.op("Resize", [y, "", n.const(np.array([1, 1, 2, 2], dtype=np.float32), "scales")], mode="nearest")
    y = n.op("Concat", [y, kept[8]], axis=1)
    y = n.conv(y, 384, 256, 3, 1, [1, 1, 1, 1], act="leaky")
    n.output(n.op("Sigmoid", [n.conv(y, 256, 255, 1)]))
    return n


def mtcnn_onet():
    n = Net("mtcnn_onet", [16, 3, 48, 48])
    x = n.prelu(n.conv("input", 3, 32, 3), 32)
    x = n.maxpool(x, 3, 2, ceil=1)
    x = n.prelu(n.conv(x, 32, 64, 3), 64)
    x = n.maxpool(x, 3, 2, ceil=1)
    x = n.prelu(n.conv(x, 64, 64, 3), 64)
    x = n.maxpool(x, 2, 2, ceil=1)
    x = n.prelu(n.conv(x, 64, 128, 2), 128)
    x = n.op("Flatten", [n.op("Transpose", [x], perm=[0, 3, 2, 1])])
    x = n.prelu(n.gemm(x, 1152, 256), 256, spatial=False)
    n.output(n.op("Softmax", [n.gemm(x, 256, 2)], axis=1))
    n.output(n.gemm(x, 256, 4))
    n.output(n.gemm(x, 256, 10))
    return n


def dlib_face_resnet():
    n = Net("dlib_face_resnet", [1, 3, 150, 150])
    x = n.conv("input", 3, 32, 7, 2, act="relu")
    x = n.maxpool(x, 3, 2)
    c, size = 32, 35
    for out, down in [(32, 0), (32, 0), (32, 0), (64, 1), (64, 0), (64, 0), (64, 0), (128, 1), (128, 0), (128, 0),
                      (256, 1), (256, 0), (256, 0), (256, 1)]:
        if down:
            y = n.conv(x, c, out, 3, 2, act="relu")
            y_size = (size - 3) // 2 + 1
            short = n.op("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
            short_size = size // 2
        else:
            y = n.conv(x, c, out, 3, 1, [1, 1, 1, 1], act="relu")
            y_size = short_size = size
            short = x
        y = n.conv(y, out, out, 3, 1, [1, 1, 1, 1])
        size = max(y_size, short_size)
        if y_size < size:
            y = n.op("Pad", [y, n.const(np.array([0, 0, 0, 0, 0, 0, size - y_size, size - y_size], np.int64), "pads")])
        if out > c or short_size < size:
            pads = np.array([0, 0, 0, 0, 0, out - c, size - short_size, size - short_size], np.int64)
            short = n.op("Pad", [short, n.const(pads, "pads")])
        x = n.op("Relu", [n.op("Add", [y, short])])
        c = out
    x = n.op("Flatten", [n.op("GlobalAveragePool", [x])])
    w = n.rng.standard_normal((256, 128)).astype(np.float32) * 0.06
    n.output(n.op("MatMul", [x, n.const(w)]))
    return n


NETWORKS = {"resnet50": resnet50, "mobilenet-v2": mobilenet_v2, "vgg16": vgg16, "yolov3-tiny": yolov3_tiny,
            "mtcnn-onet": mtcnn_onet, "dlib-face-resnet": dlib_face_resnet}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(NETWORKS))
        return
    only = set(filter(None, args.only.split(",")))
    for name, build in NETWORKS.items():
        if only and name not in only:
            continue
        net = build()
        model = net.model()
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        x = np.random.default_rng(5).random(shape, dtype=np.float32)
        feed = {"input": x}
        for _ in range(3):
            session.run(None, feed)
        start = time.perf_counter()
        session.run(None, feed)
        one = time.perf_counter() - start
        budget = 0.5 if args.quick else 2.0
        count = max(5, min(50, int(budget / max(one, 1e-6))))
        samples = []
        for _ in range(count):
            start = time.perf_counter()
            session.run(None, feed)
            samples.append(time.perf_counter() - start)
        samples.sort()
        print(f'onnxruntime,model,{name},{args.threads},{samples[count // 2] * 1e3:.4f},,{samples[0] * 1e3:.4f},'
              f'{count},"onnxruntime {ort.__version__}, batch {shape[0]}, input {"x".join(map(str, shape))}"',
              flush=True)


if __name__ == "__main__":
    main()
