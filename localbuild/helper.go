package localbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/tonistiigi/fsutil"

	"github.com/osbuildkit/osbuildkit/llb"
)

// helperLocalName is the local source that ships this executable into the
// build as the stage helper when there is no frontend image (CLI mode).
const helperLocalName = "osbuildkit-helper"

// helperFiles are the helper and, when it was built beside it, its
// stand-ins' interpreter (stages.NativeHelper).
var helperFiles = []string{"osbuildkit", "osbuildkit-native"}

// helperState is the helper as an LLB state: the local source holding
// helperFiles. BuildKit keys its cache on their content.
func helperState() llb.Helper {
	st := bkllb.Local(helperLocalName,
		bkllb.IncludePatterns(helperFiles),
		bkllb.SharedKeyHint(helperLocalName),
		bkllb.WithCustomName("[helper] osbuildkit"),
		// A stable ID (BuildKit's default is random per process) keeps the
		// LLB of an unchanged manifest identical from run to run.
		bkllb.LocalUniqueID(helperUniqueID()),
	)
	return llb.Helper{State: st, Dir: "/"}
}

// localHelper returns a filesystem holding this executable as
// "osbuildkit", and the osbuildkit-native beside it if there is one. Both
// must be statically linked to run in any buildroot; the Makefile builds
// them with CGO_ENABLED=0.
func localHelper() (fsutil.FS, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, nil, fmt.Errorf("finding this executable: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return nil, nil, err
	}
	dir := filepath.Dir(exe)
	cleanup := func() {}
	if filepath.Base(exe) != "osbuildkit" {
		tmp, err := os.MkdirTemp("", "osbuildkit-helper-")
		if err != nil {
			return nil, nil, err
		}
		cleanup = func() { os.RemoveAll(tmp) }
		if err := copyExecutable(exe, filepath.Join(tmp, "osbuildkit")); err != nil {
			cleanup()
			return nil, nil, err
		}
		native := filepath.Join(dir, helperFiles[1])
		if _, err := os.Stat(native); err == nil {
			if err := copyExecutable(native, filepath.Join(tmp, helperFiles[1])); err != nil {
				cleanup()
				return nil, nil, err
			}
		}
		dir = tmp
	}
	fs, err := fsutil.NewFS(dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return fs, cleanup, nil
}

func copyExecutable(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func helperUniqueID() string {
	host, _ := os.Hostname()
	exe, _ := os.Executable()
	sum := sha256.Sum256([]byte(host + "\x00" + exe))
	return "osbuildkit-" + hex.EncodeToString(sum[:12])
}
