#!/usr/bin/env node
// The installed `lingo-obs-dev` command. A committed file rather than dist/bin.js itself, so that a fresh
// workspace install (before the build) links the command without a "Failed to create bin" warning.
import "../dist/bin.js"
