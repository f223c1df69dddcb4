package cli

import (
	"bytes"
	"strings"
	"testing"
)

// The version line; the BuildKit version comes from the binary's build
// information, which test binaries lack (the integration tests check the
// real binary's).
func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errs bytes.Buffer
		if code := Main(args, nil, &out, &errs); code != exitOK || !strings.HasPrefix(out.String(), "osbuildkit (devel) (BuildKit ") {
			t.Errorf("%v: exit %d, %q", args, code, out.String())
		}
	}
}

// A command's help shows its flags as users type them.
func TestCommandHelpShowsDoubleDashFlags(t *testing.T) {
	var out, errs bytes.Buffer
	if code := Main([]string{"build", "--help"}, nil, &out, &errs); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	help := errs.String()
	for _, want := range []string{"usage: osbuildkit build [FLAGS] MANIFEST", "  --output-directory DIR ", "  --stage-timeout DURATION ", "  --no-cache "} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}
	if strings.Contains(help, "\n  -output-directory") {
		t.Errorf("help shows Go's single-dash flags:\n%s", help)
	}
}

// A word that is neither a command nor a file is an unknown command, not a
// manifest that cannot be read.
func TestUnknownCommand(t *testing.T) {
	var out, errs bytes.Buffer
	code := Main([]string{"frobnicate", "manifest.json"}, nil, &out, &errs)
	if code != exitInvalid || !strings.Contains(errs.String(), `unknown command "frobnicate" (commands: build, `) || strings.Contains(errs.String(), "reading the manifest") {
		t.Errorf("exit %d, %q", code, errs.String())
	}
	errs.Reset()
	if code := Main([]string{"missing.json"}, nil, &out, &errs); code != exitInvalid || !strings.Contains(errs.String(), "reading the manifest") {
		t.Errorf("a missing manifest: exit %d, %q", code, errs.String())
	}
}

// lock's flags that cannot go together are usage errors, before any work.
func TestLockUsage(t *testing.T) {
	for _, args := range [][]string{
		{"lock"},
		{"lock", "--check", "-o", "x.json", "m.json"},
		{"lock", "--check", "--update", "m.json"},
		{"lock", "--update", "-"},
	} {
		var out, errs bytes.Buffer
		if code := Main(args, nil, &out, &errs); code != exitInvalid || errs.Len() == 0 {
			t.Errorf("%v: exit %d, %q", args, code, errs.String())
		}
	}
}
