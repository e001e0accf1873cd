"""PyTorch's side of the LeNet-5 training benchmark (issue 6).

The same network as `fovea train lenet5` (CaseStudies.lenet5: 5x5 tanh
convolutions of 6 and 16 channels, 2x2 average pooling, dense 120, 84 (tanh)
and 10, softmax cross-entropy from the logits), the same data (Fashion-MNIST
from Debian's dataset-fashion-mnist, scaled to [0, 1], padded to 32x32), the
same optimizer (Adam, learning rate 1e-3) and batch size (64), on the CPU
with the given number of threads. Prints one CSV row per epoch:

    pytorch,lenet5,<threads>,<epoch>,<seconds>,<train loss>,<train accuracy>,<test accuracy>

Usage: /usr/bin/python3 lenet5_fashion_mnist.py --threads N --epochs E
(Debian's python3-torch 1.13; Fovea itself has no Python dependency.)
"""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FOLDER = "/usr/share/datasets/fashion-mnist"


def load(prefix):
    with gzip.open(f"{FOLDER}/{prefix}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28).astype(np.float32) / 255
    with gzip.open(f"{FOLDER}/{prefix}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    images = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
    return torch.from_numpy(images), torch.from_numpy(labels)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = torch.tanh(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    for epoch in range(args.epochs):
        start = time.perf_counter()
        order = torch.randperm(len(train_y), generator=generator)
        total, correct, count = 0.0, 0, 0
        model.train()
        for i in range(0, len(order), args.batch_size):
            batch = order[i:i + args.batch_size]
            x, y = train_x[batch], train_y[batch]
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            correct += (logits.argmax(1) == y).sum().item()
            count += len(batch)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            test_correct = (model(test_x).argmax(1) == test_y).sum().item()
        print(f"pytorch,lenet5,{args.threads},{epoch + 1},{seconds:.3f},{total / count:.4f},{correct / count:.4f},"
              f"{test_correct / len(test_y):.4f}", flush=True)


if __name__ == "__main__":
    main()
