#!/usr/bin/env bash
# Regenerates Sources/RestateCore/Generated/*.pb.swift from the .proto files beside this script.
#
# Needs protoc (apt: protobuf-compiler) and protoc-gen-swift built from apple/swift-protobuf at
# the version Package.swift depends on (building the plugin takes ~10 minutes on 2 cores, which is
# why its output is committed and the package depends only on the SwiftProtobuf runtime):
#
#   git clone https://github.com/apple/swift-protobuf.git && cd swift-protobuf
#   git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
#   PROTOC_GEN_SWIFT=$PWD/.build/release/protoc-gen-swift ./generate.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../Generated"
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"

# protocol.proto is copied unchanged from restatedev/restate, directory service-protocol/.
upstream_commit="0c6df0fccf197846ecac682d81111d8264c6cbc0"

rm -f "$out"/*.pb.swift
protoc \
    --plugin=protoc-gen-swift="$plugin" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public \
    --swift_opt=FileNaming=DropPath \
    -I "$here" \
    "$here/protocol.proto" "$here/legacy.proto"

cat > "$out/README.md" <<README
# Generated protocol messages

Do not edit. Regenerate with \`Sources/RestateCore/Protos/generate.sh\`.

- \`protocol.pb.swift\`: from \`protocol.proto\`, copied unchanged from \`restatedev/restate\` at
  commit \`$upstream_commit\`, directory \`service-protocol/\` (service protocol V5-V7).
- \`legacy.pb.swift\`: from \`legacy.proto\`, the V5/V6 \`SuspensionMessage\` shape.
- Generator: protoc $(protoc --version | cut -d' ' -f2), protoc-gen-swift $("$plugin" --version 2>/dev/null | awk '{print $NF}').
README
echo "generated into $out"
