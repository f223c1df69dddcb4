package frontend

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/moby/buildkit/util/grpcerrors"
)

func TestSourceFailureWords(t *testing.T) {
	const url, want = "http://example.test/f", "sha256:1111111111111111111111111111111111111111111111111111111111111111"
	other := "sha256:2222222222222222222222222222222222222222222222222222222222222222"
	for _, c := range []struct{ err, says string }{
		{"digest mismatch " + other + ": " + want, "checksum mismatch: the manifest expects " + want + ", the download is " + other},
		{"invalid response status 404", "the server answered 404 Not Found"},
		{"invalid response status 503", "the server answered 503 Service Unavailable"},
		{"unexpected EOF", "the connection closed before the whole file arrived"},
		{"dial tcp 127.0.0.1:1: connect: connection refused", "connection refused"},
	} {
		err := sourceFailure(errors.New(c.err), url, want)
		if got := err.Error(); !strings.HasPrefix(got, "downloading "+url+": ") || !strings.Contains(got, c.says) {
			t.Errorf("%q became %q, want it to say %q", c.err, got, c.says)
		}
		// The words survive BuildKit's gRPC boundary.
		back := grpcerrors.FromGRPC(grpcerrors.ToGRPC(context.Background(), err))
		if !strings.Contains(back.Error(), "downloading "+url) || !strings.Contains(back.Error(), c.says) {
			t.Errorf("across gRPC %q became %q", c.err, back.Error())
		}
	}
}

func TestParseConfigSourceTimeout(t *testing.T) {
	for _, opts := range []map[string]string{{"source-timeout": "90s"}, {"build-arg:OSBUILDKIT_SOURCE_TIMEOUT": "90s"}} {
		c, err := ParseConfig(opts)
		if err != nil || c.SourceTimeout.Seconds() != 90 {
			t.Errorf("%v: %v, %v", opts, c.SourceTimeout, err)
		}
	}
	for _, v := range []string{"soon", "0s", "-5m"} {
		if _, err := ParseConfig(map[string]string{"source-timeout": v}); err == nil || !strings.Contains(err.Error(), "source-timeout") {
			t.Errorf("source-timeout=%s: %v", v, err)
		}
	}
}

func TestEntitlementErrorCrossesGRPC(t *testing.T) {
	err := &EntitlementError{Stages: []string{"org.osbuild.mkfs.ext4 (.pipelines[1].stages[1])"}, Err: errors.New("failed to load LLB: security.insecure is not allowed")}
	back := grpcerrors.FromGRPC(grpcerrors.ToGRPC(context.Background(), err)).Error()
	for _, want := range []string{"org.osbuild.mkfs.ext4 (.pipelines[1].stages[1])", "--allow security.insecure", "--allow-insecure-entitlement"} {
		if !strings.Contains(back, want) {
			t.Errorf("across gRPC the error lacks %q: %s", want, back)
		}
	}
}
