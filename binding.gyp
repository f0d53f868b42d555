# node-gyp build from source. The targets live in native/logitkit.gypi, the source lists in
# native/sources.gypi (shared with CMakeLists.txt). The npm package leaves this file out of its root
# (npm would run node-gyp on every install if it were there); `npx logitkit build` writes the same
# two includes there for the length of a build (scripts/build-addon.mjs).
{"includes": ["native/sources.gypi", "native/logitkit.gypi"]}
