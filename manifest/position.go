package manifest

import (
	"bytes"
	"encoding/json"
)

// Position is a 1-based line and column in the manifest file; zero when
// unknown.
type Position struct {
	Line, Column int
}

func (p Position) known() bool { return p.Line > 0 }

// positionOf finds where the value at path starts in data. When the path
// does not exist in the file (a defaulted "options", say), it returns the
// position of its deepest ancestor that does. data must be valid JSON.
func positionOf(data []byte, path Path) Position {
	s := &scanner{data: data}
	s.space()
	best := s.pos
	for _, e := range path {
		if !s.enter(e) {
			break
		}
		best = s.pos
	}
	return offsetPosition(data, best)
}

// offsetPosition converts a byte offset into a line and a column counted
// in characters.
func offsetPosition(data []byte, off int) Position {
	if off > len(data) {
		off = len(data)
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	start := bytes.LastIndexByte(data[:off], '\n') + 1
	return Position{Line: line, Column: 1 + len(bytes.Runes(data[start:off]))}
}

// scanner walks valid JSON without building values, so locating an error in
// a 10 MB manifest stays cheap.
type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// enter moves from the value at pos to its member e; false when absent.
func (s *scanner) enter(e any) bool {
	switch k := e.(type) {
	case string:
		if s.peek() != '{' {
			return false
		}
		s.pos++
		for {
			s.space()
			if s.peek() != '"' {
				return false
			}
			start := s.pos
			s.skipString()
			var key string
			if json.Unmarshal(s.data[start:s.pos], &key) != nil {
				return false
			}
			s.space()
			s.pos++ // ':'
			s.space()
			if key == k {
				return true
			}
			s.skipValue()
			s.space()
			if s.peek() != ',' {
				return false
			}
			s.pos++
		}
	case int:
		if s.peek() != '[' {
			return false
		}
		s.pos++
		for i := 0; ; i++ {
			s.space()
			if s.peek() == ']' {
				return false
			}
			if i == k {
				return true
			}
			s.skipValue()
			s.space()
			if s.peek() != ',' {
				return false
			}
			s.pos++
		}
	}
	return false
}

func (s *scanner) skipString() {
	s.pos++ // opening quote
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\\':
			s.pos += 2
		case '"':
			s.pos++
			return
		default:
			s.pos++
		}
	}
}

func (s *scanner) skipValue() {
	switch s.peek() {
	case '"':
		s.skipString()
	case '{', '[':
		depth := 0
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.pos++
					return
				}
			}
			s.pos++
		}
	default:
		for s.pos < len(s.data) {
			switch s.data[s.pos] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.pos++
		}
	}
}

// rawAt is the value at path as data has it, or nil when the path is not
// in data.
func rawAt(data []byte, path Path) []byte {
	s := &scanner{data: data}
	s.space()
	for _, e := range path {
		if !s.enter(e) {
			return nil
		}
	}
	start := s.pos
	s.skipValue()
	return data[start:s.pos]
}
