package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Dialect is the format a manifest was written in.
type Dialect string

// The dialects Load accepts.
const (
	V1 Dialect = "v1" // osbuild's version 1: one pipeline, nested build, assembler
	V2 Dialect = "v2" // osbuild's version 2
	// Seed is "version": "2" with stages keyed by "name" and a top-level
	// "assembler": the form our users' first manifests take.
	Seed Dialect = "v2+assembler"
)

// Kind says whether a stage entry runs a stage or a (version 1) assembler;
// the two share type names but not options.
type Kind string

// Module kinds of a pipeline step.
const (
	KindStage     Kind = "stage"
	KindAssembler Kind = "assembler"
)

// Manifest is a loaded, validated manifest in the version-2 model.
type Manifest struct {
	Dialect   Dialect
	Pipelines []*Pipeline
	Sources   Sources
	// Exports are the pipelines built by default: metadata.exports, else
	// the last pipeline.
	Exports []string

	file            *File
	explicitExports bool
}

// File is the manifest text as the user wrote it; it turns JSON paths into
// line and column positions.
type File struct {
	Name string
	Data []byte
}

// Position returns where the value at p starts in the file.
func (f *File) Position(p Path) Position {
	if f == nil {
		return Position{}
	}
	return positionOf(f.Data, p)
}

// File returns the text the manifest was loaded from.
func (m *Manifest) File() *File { return m.file }

// LocatedIn makes errors about m point into f: a manifest derived from
// the one the user wrote (osbuildkit lock's, which adds inputs and
// sources) keeps the user's lines for the stages both have.
func (m *Manifest) LocatedIn(f *File) { m.file = f }

// Names returns the pipelines' names in manifest order.
func (m *Manifest) Names() []string {
	names := make([]string, 0, len(m.Pipelines))
	for _, pl := range m.Pipelines {
		names = append(names, pl.Name)
	}
	return names
}

// Pipeline returns the pipeline with that name, or nil.
func (m *Manifest) Pipeline(name string) *Pipeline {
	for _, p := range m.Pipelines {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Pipeline is a named sequence of stages building one tree.
type Pipeline struct {
	Name string
	// Build names the pipeline whose tree is this one's buildroot; empty
	// for the host buildroot.
	Build       string
	Runner      string
	SourceEpoch *int64
	Stages      []*Stage
	// ID is osbuild's pipeline ID: the ID of the last stage, empty when
	// there are no stages.
	ID   string
	Path Path
}

// Stage is one step of a pipeline.
type Stage struct {
	Type string
	Kind Kind
	// Options as decoded, numbers as json.Number; never nil.
	Options map[string]any
	Inputs  []*Input  // sorted by name
	Devices []*Device // sorted by name
	Mounts  []*Mount  // in manifest order
	ID      string
	// Path is where the stage is in the file the user wrote.
	Path Path
	// Index is the stage's position in its pipeline.
	Index int
}

// Input returns the named input, or nil.
func (s *Stage) Input(name string) *Input {
	for _, in := range s.Inputs {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// Device returns the named device, or nil.
func (s *Stage) Device(name string) *Device {
	for _, d := range s.Devices {
		if d.Name == name {
			return d
		}
	}
	return nil
}

// DecodeOptions decodes the options into v strictly: unknown fields fail.
func (s *Stage) DecodeOptions(v any) error {
	return decodeStrict(s.Options, v)
}

// OptionsPath is the location of the stage's options in the file.
func (s *Stage) OptionsPath() Path { return s.Path.Key("options") }

func decodeStrict(from any, v any) error {
	raw, err := json.Marshal(from)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decoding options: %w", err)
	}
	return nil
}

// Origins of an input.
const (
	OriginSource   = "org.osbuild.source"
	OriginPipeline = "org.osbuild.pipeline"
)

// Input feeds a stage with a pipeline's tree or with source files.
type Input struct {
	Name       string
	Type       string
	Origin     string
	References []Reference // sorted by ID
	Options    map[string]any
	ID         string
	Path       Path
}

// Reference is one item of an input: "name:PIPELINE" for pipeline inputs,
// a checksum for source inputs.
type Reference struct {
	ID      string
	Options map[string]any
}

// PipelineName returns the pipeline a pipeline-origin reference names.
func (r Reference) PipelineName() (string, bool) {
	if len(r.ID) > 5 && r.ID[:5] == "name:" {
		return r.ID[5:], true
	}
	return "", false
}

// Device is a block device a stage uses (org.osbuild.loopback).
type Device struct {
	Name    string
	Type    string
	Parent  string
	Options map[string]any
	ID      string
	Path    Path
}

// Mount is a filesystem mounted for a stage.
type Mount struct {
	Name      string
	Type      string
	Source    string
	Target    string
	Partition int
	Options   map[string]any
	ID        string
	Path      Path
}

// Sources are the external files stages may use, by source type.
type Sources struct {
	// Curl maps a checksum ("sha256:…") to the URL it is downloaded from.
	Curl map[string]CurlItem
	// Inline maps a checksum to the file's content.
	Inline map[string]InlineItem
}

// CurlItem is a file downloaded by URL.
type CurlItem struct {
	URL      string
	Insecure bool
	Path     Path
}

// InlineItem is a file whose content is in the manifest.
type InlineItem struct {
	// Encoding is "base64" or "lzma+base64"; Data is already base64-decoded
	// (so still xz-compressed for the latter).
	Encoding string
	Data     []byte
	Path     Path
}

// Written is the stage's option at path (below its options) as the
// manifest's file has it: objects' members in the order written, which
// the model's maps do not keep (osbuild's stages write configuration
// files in that order). Nil when the file does not have it, or has it
// otherwise than the model (a key given twice).
func (m *Manifest) Written(st *Stage, path Path) json.RawMessage {
	if m.file == nil {
		return nil
	}
	raw := rawAt(m.file.Data, append(st.OptionsPath(), path...))
	var a, b any
	if raw == nil || json.Unmarshal(raw, &a) != nil {
		return nil
	}
	var v any = st.Options
	for _, e := range path {
		switch k := e.(type) {
		case string:
			o, _ := v.(map[string]any)
			v = o[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	model, err := json.Marshal(v)
	if err != nil || json.Unmarshal(model, &b) != nil || !reflect.DeepEqual(a, b) {
		return nil
	}
	return raw
}

// Selects says whether sel names the stage as --no-cache-stage and
// --break take it: its pipeline's name, its type, its ID, or a prefix of
// its ID of at least 8 characters.
func (s *Stage) Selects(pipeline, sel string) bool {
	switch {
	case sel == pipeline, sel == s.Type, sel == s.ID:
		return true
	}
	return len(sel) >= 8 && strings.HasPrefix(s.ID, sel)
}
