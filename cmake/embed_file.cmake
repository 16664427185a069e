# Writes the bytes of IN as a comma-separated list of hex literals to OUT, to
# be #included inside a char array initialiser: the file is built into the
# binary and the copy in the repository stays the one source.
#   cmake -DIN=<file> -DOUT=<file.inc> -P embed_file.cmake
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "${bytes}\n")
