package frontend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/gateway/client"
	gwpb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/stages"
)

// Break is a --break: the stage to stop before and the terminal the
// shell gets. Once the shell has ended, Ended is set and Status is its
// exit status; the build has then stopped, with nothing to export.
type Break struct {
	Stage  string
	Stdin  io.ReadCloser
	Stdout io.WriteCloser
	// Notify gets the lines that say where the shell is.
	Notify io.Writer
	// Resize delivers the terminal's size: at once, then on each change.
	Resize <-chan client.WinSize
	// Term is the terminal's TERM.
	Term string

	Ended  bool
	Status int
}

// ErrBreakEnded ends a build whose --break shell was left.
var ErrBreakEnded = errors.New("the build stopped at --break")

// breakShell opens an interactive shell where the break's stage runs: a
// BuildKit gateway container with the exec's own mounts (the tree the
// stages before left, the buildroot, inputs, helper, caches), environment
// and security mode. The mounts are BuildKit's ephemeral copies: nothing
// done in the shell reaches the cache or the output.
func breakShell(ctx context.Context, c client.Client, in Input, b *llb.Break, marshalOpts []bkllb.ConstraintsOpt) error {
	def, err := b.State.Marshal(ctx, append(marshalOpts, bkllb.LinuxAmd64)...)
	if err != nil {
		return err
	}
	pbdef := def.ToPB()
	execOp, err := lastExec(pbdef)
	if err != nil {
		return err
	}
	ex := execOp.GetExec()
	mounts, err := breakMounts(ctx, c, in, pbdef, execOp)
	if err != nil {
		return err
	}
	ctr, err := c.NewContainer(ctx, client.NewContainerRequest{Mounts: mounts, NetMode: ex.Network, Platform: execOp.Platform, Constraints: execOp.Constraints})
	if err != nil {
		return fmt.Errorf("starting the --break container: %w", err)
	}
	defer ctr.Release(context.WithoutCancel(ctx))
	announce(in.Break, b, ex)
	status, err := runShell(ctx, ctr, in.Break, ex, b.Stage.Type)
	if err != nil {
		return err
	}
	in.Break.Ended, in.Break.Status = true, status
	return ErrBreakEnded
}

// runShell runs an interactive shell in ctr, as the exec ex would run,
// on the break's terminal, and returns its exit status.
func runShell(ctx context.Context, ctr client.Container, brk *Break, ex *pb.ExecOp, stageType string) (int, error) {
	env := append(append([]string(nil), ex.Meta.Env...), "TERM="+brk.Term, `PS1=(break `+stageType+`) \w # `)
	args := []string{"/bin/sh", "-c", "if [ -x /bin/bash ]; then exec /bin/bash --norc -i; fi; exec /bin/sh -i"}
	if len(ex.Meta.Args) > 0 && ex.Meta.Args[0] == stages.HelperPath {
		// The stage's helper opens the shell, with the stage's devices
		// and mounts set up as the stage has them.
		args, env = ex.Meta.Args, append(env, stages.BreakShellEnv+"=1")
	}
	proc, err := ctr.Start(ctx, client.StartRequest{
		Args: args,
		Env:  env, Cwd: "/", Tty: true, SecurityMode: ex.Security,
		Stdin: brk.Stdin, Stdout: brk.Stdout, Stderr: brk.Stdout,
	})
	if err != nil {
		return 0, fmt.Errorf("starting the --break shell: %w", err)
	}
	go func() {
		for size := range brk.Resize {
			_ = proc.Resize(ctx, size)
		}
	}()
	err = proc.Wait()
	var exit *gwpb.ExitError
	switch {
	case errors.As(err, &exit):
		return int(exit.ExitCode), nil
	case err != nil:
		return 0, fmt.Errorf("the --break shell: %w", err)
	}
	return 0, nil
}

func announce(brk *Break, b *llb.Break, ex *pb.ExecOp) {
	where := "a shell in the host buildroot, the tree the stages before left at " + llb.TreeDir
	if b.Exec {
		where = "a shell where the stage runs, its devices and mounts set up: " + strings.Join(ex.Meta.Args, " ") + " would run it"
	}
	fmt.Fprintf(brk.Notify, "osbuildkit: stopped before %s: %s\r\n", b, where)
	fmt.Fprint(brk.Notify, "osbuildkit: leave the shell (exit) to end the build; nothing done in it is kept or exported\r\n")
}

// lastExec is the exec op the definition's terminal points at.
func lastExec(def *pb.Definition) (*pb.Op, error) {
	ops := map[digest.Digest]*pb.Op{}
	last := &pb.Op{}
	for _, raw := range def.Def {
		op := &pb.Op{}
		if err := op.UnmarshalVT(raw); err != nil {
			return nil, err
		}
		ops[digest.FromBytes(raw)] = op
		last = op
	}
	if len(last.Inputs) != 1 || ops[digest.Digest(last.Inputs[0].Digest)].GetExec() == nil {
		return nil, errors.New("internal error: the --break state does not end in an exec")
	}
	return ops[digest.Digest(last.Inputs[0].Digest)], nil
}

// breakMounts solves what each of the exec's mounts mounts and mounts it
// as the exec does; an output without input (the boot report) is a tmpfs.
func breakMounts(ctx context.Context, c client.Client, in Input, def *pb.Definition, execOp *pb.Op) ([]client.Mount, error) {
	var out []client.Mount
	for _, m := range execOp.GetExec().Mounts {
		cm := client.Mount{Dest: m.Dest, Selector: m.Selector, Readonly: m.Readonly, MountType: m.MountType, CacheOpt: m.CacheOpt}
		if m.MountType == pb.MountType_BIND && m.Input == int64(pb.Empty) {
			cm.MountType = pb.MountType_TMPFS
		} else if m.MountType == pb.MountType_BIND {
			ref, err := solveInput(ctx, c, in, def, execOp.Inputs[m.Input])
			if err != nil {
				return nil, fmt.Errorf("preparing %s for --break: %w", m.Dest, err)
			}
			cm.Ref = ref
		}
		out = append(out, cm)
	}
	return out, nil
}

// solveInput solves one input of an op of def: def with a terminal
// pointing at it.
func solveInput(ctx context.Context, c client.Client, in Input, def *pb.Definition, input *pb.Input) (client.Reference, error) {
	term, err := (&pb.Op{Inputs: []*pb.Input{input}}).MarshalVT()
	if err != nil {
		return nil, err
	}
	sub := &pb.Definition{Def: append(append([][]byte(nil), def.Def[:len(def.Def)-1]...), term), Metadata: def.Metadata, Source: def.Source}
	res, err := c.Solve(ctx, client.SolveRequest{Definition: sub, CacheImports: in.CacheImports, Evaluate: true})
	if err != nil {
		return nil, err
	}
	return res.SingleRef()
}
