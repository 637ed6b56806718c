"""cpu_bound in plain Python: one chunk after another (C++ twin: ../sequential.cpp). The
Python rows' reference time: their speed-ups are measured against this row."""


from kernel import chunks, run_chunk


def prepare(params):
    return chunks(params)


def main(chunks):
    return [run_chunk(chunk) for chunk in chunks]
