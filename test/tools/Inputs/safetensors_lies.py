"""Writes DIR/model.safetensors: SOURCE with one lie in its header.

  range    a tensor's end moved past the data
  overlap  a tensor's range moved onto the previous tensor's
  size     a tensor's shape claims more elements than its bytes hold
  dtype    a tensor declared I64
  drop     the key norm of layer 0 removed from the header
"""
import json
import struct
import sys

directory, source, lie = sys.argv[1:4]
data = open(source, "rb").read()
(size,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + size])
body = data[8 + size:]
names = sorted((k for k in header if k != "__metadata__"),
               key=lambda k: header[k]["data_offsets"][0])
first, second = header[names[0]], header[names[1]]
if lie == "range":
    second["data_offsets"][1] = len(body) + 4
elif lie == "overlap":
    second["data_offsets"] = [first["data_offsets"][0] + 4,
                              first["data_offsets"][0] + 4 +
                              second["data_offsets"][1] - second["data_offsets"][0]]
elif lie == "size":
    second["shape"][0] += 1
elif lie == "dtype":
    second["dtype"] = "I64"
elif lie == "drop":
    del header["model.layers.0.self_attn.k_norm.weight"]
text = json.dumps(header).encode()
with open(f"{directory}/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + body)
