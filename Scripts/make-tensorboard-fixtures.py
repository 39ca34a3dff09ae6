#!/usr/bin/env python3
"""Make the fixtures of the TensorBoard event-file tests (Tests/Fixtures/tensorboard/), with
TensorBoard's own writer, deterministically.

Needs the `tensorboard` package (e.g. the venv at /tmp/venv: /tmp/venv/bin/python
Scripts/make-tensorboard-fixtures.py); `make test` never runs this script: its outputs are
committed.

What it writes
--------------
Tests/Fixtures/tensorboard/scalars.json
    {"host": str,                       # the host name in the event file's name
     "file_version_wall_time": float,   # wall time of the first record (file_version)
     "adds": [{"wall_time": float, "step": int,
               "scalars": [{"tag": str, "value_bits": "0x…"}]}]}   # float32 bit patterns
    The events of the file below: one `add` is one step's scalars, one Event record each, all
    stamped with the add's wall time (as `add_scalar` writes them).
Tests/Fixtures/tensorboard/scalars/events.out.tfevents.<wall seconds>.<host>
    Those events framed by tensorboard.summary.writer.record_writer.RecordWriter (TFRecord:
    length, masked CRC32C, data, masked CRC32C) from tensorboard.compat.proto Event / Summary
    protos; the first record is Event(wall_time, file_version="brain.Event:2"). The file name is
    the one EventFileWriter gives ("events.out.tfevents.%010d.%s" % (time, host)) without its
    pid and counter suffix.
Tests/Fixtures/tensorboard/eventfilewriter/events.out.tfevents.<…>
    Written by tensorboard.summary.writer.event_file_writer.EventFileWriter itself (its
    file_version record has source_metadata; one summary holds several values, one of them a
    tensor, which is not a simple_value scalar), with time.time, socket.gethostname and the pid
    fixed. Its scalars (simple_value only) are listed in eventfilewriter.json:
    {"events": [{"wall_time": float, "step": int, "scalars": [{"tag": str, "value_bits": "0x…"}]}]}
"""

import json
import os
import shutil
import struct
import time
import socket
from pathlib import Path

from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2, types_pb2
from tensorboard.summary.writer import event_file_writer
from tensorboard.summary.writer.record_writer import RecordWriter

ROOT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "tensorboard"
HOST = "fixture-host"
T0 = 1700000000.25


def bits(value):
    """The float32 bit pattern of `value`, as protobuf stores a simple_value."""
    return "0x%08X" % struct.unpack("<I", struct.pack("<f", value))[0]


def scalars_fixture():
    adds = [
        # Step 0 (proto3 leaves it out), a tiny, a huge, a negative value, zero (a oneof member,
        # so written), NaN and infinity, a step past 2^32 (a long varint), a non-ASCII tag.
        {"wall_time": T0 + 0.5, "step": 0,
         "scalars": [("train/loss", 0.6931471805599453), ("train/rewards/chosen", 0.0)]},
        {"wall_time": T0 + 2.0, "step": 1,
         "scalars": [("train/loss", 0.6443966600735709), ("train/grad_norm", 19.171100672316925),
                     ("train/learning_rate", 5e-07), ("train/rewards/margins", -1.5e-30)]},
        {"wall_time": T0 + 3.75, "step": 300,
         "scalars": [("eval/loss", float("nan")), ("eval/rewards/accuracies", float("inf")),
                     ("round/α", 3.0e38)]},
        {"wall_time": T0 + 1e6, "step": 2**33 + 5,
         "scalars": [("train/epoch", 12.5)]},
    ]
    folder = ROOT / "scalars"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    name = "events.out.tfevents.%010d.%s" % (T0, HOST)
    with open(folder / name, "wb") as f:
        writer = RecordWriter(f)
        writer.write(event_pb2.Event(wall_time=T0, file_version="brain.Event:2").SerializeToString())
        for add in adds:
            for tag, value in add["scalars"]:
                summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
                event = event_pb2.Event(wall_time=add["wall_time"], step=add["step"], summary=summary)
                writer.write(event.SerializeToString())
        writer.flush()
    listing = {"host": HOST, "file_version_wall_time": T0,
               "adds": [{"wall_time": a["wall_time"], "step": a["step"],
                         "scalars": [{"tag": t, "value_bits": bits(v)} for t, v in a["scalars"]]} for a in adds]}
    (ROOT / "scalars.json").write_text(json.dumps(listing, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def event_file_writer_fixture():
    clock = [T0 + 100]
    time.time = lambda: clock[0]
    socket.gethostname = lambda: HOST
    os.getpid = lambda: 4242
    folder = ROOT / "eventfilewriter"
    shutil.rmtree(folder, ignore_errors=True)
    writer = event_file_writer.EventFileWriter(str(folder))
    events = []
    for step, values in [(1, [("train/loss", 0.75), ("train/epoch", 0.25)]), (2, [("train/loss", 0.5)])]:
        clock[0] += 1.5
        tensor = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[9.0])
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=t, simple_value=v) for t, v in values]
                                      + [summary_pb2.Summary.Value(tag="a/tensor", tensor=tensor)])
        writer.add_event(event_pb2.Event(wall_time=clock[0], step=step, summary=summary))
        events.append({"wall_time": clock[0], "step": step,
                       "scalars": [{"tag": t, "value_bits": bits(v)} for t, v in values]})
    writer.close()
    (ROOT / "eventfilewriter.json").write_text(json.dumps({"events": events}, indent=1) + "\n", encoding="utf-8")


def main():
    ROOT.mkdir(parents=True, exist_ok=True)
    scalars_fixture()
    event_file_writer_fixture()
    for path in sorted(ROOT.rglob("*")):
        if path.is_file():
            print(path.relative_to(ROOT), path.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
