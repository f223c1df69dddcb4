package frontend

import (
	"testing"

	"github.com/osbuildkit/osbuildkit/llb"
)

// BuildKit's attest:sbom request (buildx --sbom=true sets it empty, or
// with the scanner's generator; --sbom=false sets disabled=true) asks the
// frontend for its SBOM attestation.
func TestParseConfigSBOM(t *testing.T) {
	for _, tc := range []struct {
		opts map[string]string
		want llb.SBOM
	}{
		{map[string]string{}, llb.NoSBOM},
		{map[string]string{"attest:sbom": ""}, llb.SBOMAttest},
		{map[string]string{"attest:sbom": "generator=example"}, llb.SBOMAttest},
		{map[string]string{"attest:sbom": "disabled=true"}, llb.NoSBOM},
		{map[string]string{"attest:provenance": "mode=max"}, llb.NoSBOM},
	} {
		c, err := ParseConfig(tc.opts)
		if err != nil || c.SBOM != tc.want {
			t.Errorf("%v: %v (%v), want %v", tc.opts, c.SBOM, err, tc.want)
		}
	}
}
