package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/osbuildkit/osbuildkit/localbuild"
	"github.com/osbuildkit/osbuildkit/stages"
)

func init() {
	register(command{name: "lock", summary: "pin every package of the debootstrap and apt stages: the manifest with each .deb a checksummed source", args: "MANIFEST", run: runLock})
}

type lockFlags struct {
	addr, out, progress string
	exports             stringList
	check, update       bool
}

func runLock(e *env, args []string) int {
	fs := newFlags(e, "lock", "MANIFEST")
	var f lockFlags
	fs.StringVar(&f.addr, "addr", "", "BuildKit daemon `address` (as for build)")
	fs.StringVar(&f.out, "o", "", "write the locked manifest to `FILE` (default: standard output)")
	fs.BoolVar(&f.check, "check", false, "resolve MANIFEST (a locked manifest) again and say, per package, what the mirrors have now; exit 1 when something moved")
	fs.BoolVar(&f.update, "update", false, "lock MANIFEST again, in place (or to -o)")
	fs.StringVar(&f.progress, "progress", "auto", "progress `mode`: auto, tty, plain, quiet or rawjson")
	fs.Var(&f.exports, "export", "lock the stages this `pipeline` needs (repeatable; default: the manifest's exports)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return usageError(e, err)
	}
	if len(pos) != 1 {
		return usageError(e, errors.New("lock takes one MANIFEST (a path or -)"))
	}
	if f.check && (f.update || f.out != "") {
		return usageError(e, errors.New("--check writes nothing: it takes neither --update nor -o"))
	}
	if f.update && f.out == "" {
		if pos[0] == "-" {
			return usageError(e, errors.New("--update of standard input needs -o FILE"))
		}
		f.out = pos[0]
	}
	data, err := readManifest(e, pos[0])
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: reading the manifest: %v\n", err)
		return exitInvalid
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p := &printer{e: e, f: &buildFlags{progress: f.progress}}
	opt := localbuild.Options{Addr: f.addr, Progress: p.progress}
	opt.Frontend.Exports = f.exports
	locked, targets, err := localbuild.Lock(ctx, pos[0], data, opt)
	if err != nil {
		return p.fail(err)
	}
	if f.check {
		return reportCheck(e, targets)
	}
	for _, t := range targets {
		fmt.Fprintf(e.stderr, "osbuildkit: [%s] %s (%s): %d packages locked\n", t.Pipeline, t.Stage.Type, t.Stage.Path, len(t.After))
	}
	if f.out == "" {
		_, err = e.stdout.Write(locked)
	} else {
		err = stages.WriteFileAtomic(f.out, locked, 0o644)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "osbuildkit: writing the locked manifest: %v\n", err)
		return exitFailed
	}
	return exitOK
}

// reportCheck prints, stage by stage, what moved since the lock; 1 when
// anything did.
func reportCheck(e *env, targets []localbuild.LockedStage) int {
	moved := 0
	for _, t := range targets {
		changes := stages.CompareLocks(t.Before, t.After)
		for _, c := range changes {
			fmt.Fprintf(e.stdout, "[%s] %s (%s): %s\n", t.Pipeline, t.Stage.Type, t.Stage.Path, c)
		}
		moved += len(changes)
	}
	if moved > 0 {
		fmt.Fprintf(e.stderr, "osbuildkit: %d locked packages moved on the mirrors; run osbuildkit lock --update to take them\n", moved)
		return exitFailed
	}
	fmt.Fprintln(e.stderr, "osbuildkit: every locked package is what the mirrors have now")
	return exitOK
}
