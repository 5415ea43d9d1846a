// Pins the FerretDB source that scripts/ferretdb-build.sh builds: go.sum holds its checksum.
// Not built itself: see scripts/ferretdb-build.sh for why FerretDB is built as its own main
// module.
module tradestore.local/ferretdb-tool

go 1.24

require github.com/FerretDB/FerretDB v1.24.2
