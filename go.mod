module github.com/osbuildkit/osbuildkit

go 1.26.8

require (
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	golang.org/x/text v0.42.0
)

require github.com/google/go-cmp v0.7.0 // indirect
