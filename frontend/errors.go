package frontend

import (
	"errors"
	"fmt"
	"strings"

	bkllb "github.com/moby/buildkit/client/llb"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	digest "github.com/opencontainers/go-digest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/osbuildkit/osbuildkit/llb"
	"github.com/osbuildkit/osbuildkit/manifest"
	"github.com/osbuildkit/osbuildkit/stages"
)

// withManifestSource attaches the manifest text and the first problem's line
// so BuildKit clients print the offending lines, as for a Dockerfile.
func withManifestSource(err error, sm *bkllb.SourceMap) error {
	if sm == nil {
		return err
	}
	var le *manifest.LocationError
	if !errors.As(err, &le) || le.Line == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{Info: sourceInfo(sm), Ranges: lineRange(le.Line)})
}

// sourceInfo describes the manifest to BuildKit, for errors and warnings
// that point into it.
func sourceInfo(sm *bkllb.SourceMap) *pb.SourceInfo {
	info := &pb.SourceInfo{Filename: sm.Filename, Language: sm.Language, Data: sm.Data}
	if sm.Definition != nil {
		info.Definition = sm.Definition.ToPB()
	}
	return info
}

func lineRange(line int) []*pb.Range {
	return []*pb.Range{{Start: &pb.Position{Line: int32(line)}, End: &pb.Position{Line: int32(line)}}}
}

// StageFailure is a build error attributed to a stage of the manifest.
type StageFailure struct {
	Pipeline string
	Stage    *manifest.Stage
	File     string
	manifest.Position
	// BadInput says the stage found, while it ran, that an option names
	// what the tree does not have (stages.ExitBadOption); its log says
	// which option.
	BadInput bool
	Err      error
}

func (e *StageFailure) Error() string {
	loc := e.Stage.Path.String()
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d, %s", e.File, e.Line, e.Column, loc)
	}
	if e.BadInput {
		return fmt.Sprintf("[%s] %s %d %s (%s): an option names what the tree does not have (the stage's log above says which): %v", e.Pipeline, e.Stage.Kind, e.Stage.Index, e.Stage.Type, loc, e.Err)
	}
	return fmt.Sprintf("[%s] %s %d %s (%s) failed: %v", e.Pipeline, e.Stage.Kind, e.Stage.Index, e.Stage.Type, loc, e.Err)
}

func (e *StageFailure) Unwrap() error { return e.Err }

// FailedStage attributes the failure in osbuild's result (manifest.Failed).
func (e *StageFailure) FailedStage() (string, *manifest.Stage) { return e.Pipeline, e.Stage }

// GRPCStatus keeps this message when the error crosses BuildKit's gRPC
// boundary; the typed details (source, vertex) still come from Err.
func (e *StageFailure) GRPCStatus() *status.Status { return keepMessage(e, e.Err) }

// keepMessage is the gRPC status of err that shows err's own message, with
// the code of the error it wraps.
func keepMessage(err, wrapped error) *status.Status {
	code := grpcerrors.Code(wrapped)
	if code == codes.OK {
		code = codes.Unknown
	}
	return status.New(code, err.Error())
}

// EntitlementError is a build refused for want of security.insecure.
type EntitlementError struct {
	Stages []string // "TYPE (PATH)" of each stage that needs it
	Err    error
}

// NewEntitlementError names the stages that need security.insecure; err is
// BuildKit's refusal, or nil when the client found out first.
func NewEntitlementError(stages []*manifest.Stage, err error) *EntitlementError {
	e := &EntitlementError{Err: err}
	for _, st := range stages {
		e.Stages = append(e.Stages, fmt.Sprintf("%s (%s)", st.Type, st.Path))
	}
	return e
}

func (e *EntitlementError) Error() string {
	return fmt.Sprintf("%s use loop devices or mounts and need the security.insecure entitlement: add --allow security.insecure (buildx, buildctl, osbuildkit build; the daemon must run with --allow-insecure-entitlement security.insecure)",
		strings.Join(e.Stages, ", "))
}

func (e *EntitlementError) Unwrap() error { return e.Err }

// GRPCStatus keeps this message across BuildKit's gRPC boundary.
func (e *EntitlementError) GRPCStatus() *status.Status {
	return status.New(codes.PermissionDenied, e.Error())
}

// explain turns a solve error into one that names what the user wrote: the
// failing stage and its manifest line, or the entitlement to grant.
func explain(err error, m *manifest.Manifest, def *bkllb.Definition, res *llb.Result) error {
	if len(res.Insecure) > 0 && strings.Contains(err.Error(), "security.insecure") {
		return NewEntitlementError(res.Insecure, err)
	}
	var ve *errdefs.VertexError
	if !errors.As(err, &ve) || ve.Vertex == nil {
		return err
	}
	meta, ok := def.Metadata[digest.Digest(ve.Digest)]
	if !ok {
		return err
	}
	if url := meta.Description[llb.SourceKey]; url != "" {
		return sourceFailure(err, url, meta.Description[llb.SourceSumKey])
	}
	path := meta.Description[llb.StageKey]
	for _, pl := range m.Pipelines {
		for _, st := range pl.Stages {
			if st.Path.String() != path {
				continue
			}
			f := &StageFailure{Pipeline: pl.Name, Stage: st, Err: err}
			var exit *gatewaypb.ExitError
			f.BadInput = errors.As(err, &exit) && exit.ExitCode == stages.ExitBadOption
			if file := m.File(); file != nil {
				f.File, f.Position = file.Name, file.Position(st.Path)
			}
			return f
		}
	}
	return err
}
