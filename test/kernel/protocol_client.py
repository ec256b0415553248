"""Drives the neardup kernel through jupyter_client the way a widget frontend would and prints
one JSON object with what it observed (test/kernel/protocol.test.ts asserts on it).

Usage: python protocol_client.py <workdir>   (the kernel's cwd; kernelspec `neardup` must be installed)
"""
import hashlib
import json
import sys
import time

from jupyter_client.manager import start_new_kernel

WORKDIR = sys.argv[1]
km, kc = start_new_kernel(kernel_name="neardup", cwd=WORKDIR, startup_timeout=120)
out = {}


def drain(parent_id, timeout=60):
    """All iopub messages of one request, up to its idle status."""
    msgs = []
    end = time.time() + timeout
    while time.time() < end:
        try:
            m = kc.get_iopub_msg(timeout=max(0.1, end - time.time()))
        except Exception:
            break
        if m["parent_header"].get("msg_id") != parent_id:
            out.setdefault("stray", []).append({"msg_type": m["msg_type"], "parent": m["parent_header"].get("msg_type")})
            continue
        msgs.append(m)
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            break
    return msgs


def shell_reply(msg_id, timeout=120):
    """The shell reply to msg_id (skipping leftovers such as extra kernel_info replies)."""
    end = time.time() + timeout
    while True:
        m = kc.get_shell_msg(timeout=max(0.1, end - time.time()))
        if m["parent_header"].get("msg_id") == msg_id:
            return m


def execute(code):
    msg_id = kc.execute(code)
    reply = shell_reply(msg_id)
    msgs = drain(msg_id)
    text = "".join(m["content"]["text"] for m in msgs if m.get("msg_type") == "stream" and m["content"]["name"] == "stdout")
    err = "".join(m["content"]["text"] for m in msgs if m.get("msg_type") == "stream" and m["content"]["name"] == "stderr")
    return reply, msgs, text, err


def send_shell(msg_type, content, buffers=None):
    msg = kc.session.msg(msg_type, content)
    kc.session.send(kc.shell_channel.socket, msg, buffers=buffers)
    return msg["header"]["msg_id"]


def comm_msg(comm_id, data, buffers=None):
    return send_shell("comm_msg", {"comm_id": comm_id, "data": data}, buffers)


def strip(msgs):
    return [{"msg_type": m.get("msg_type"), "content": m.get("content"), "buffers": [bytes(b).hex() for b in m.get("buffers", [])]} for m in msgs]


try:
    # comm_info before any widget
    mid = send_shell("comm_info_request", {"target_name": "jupyter.widget"})
    rep = shell_reply(mid)
    out["comm_info_empty"] = {"msg_type": rep["msg_type"], "content": rep["content"], "parent_ok": rep["parent_header"]["msg_id"] == mid}
    drain(mid)

    # a cell displays an IntSlider
    reply, msgs, text, err = execute('import { IntSlider } from "neardup/widgets";\nconst s = new IntSlider({ value: 5, min: 0, max: 100 });\ns')
    out["display_cell"] = {"status": reply["content"]["status"], "stdout": text, "stderr": err,
                           "iopub": [{"msg_type": m["msg_type"], "content": m["content"], "metadata": m["metadata"]} for m in msgs if m["msg_type"] in ("comm_open", "display_data")]}
    disp = [m for m in msgs if m["msg_type"] == "display_data"]
    model_id = disp[0]["content"]["data"]["application/vnd.jupyter.widget-view+json"]["model_id"] if disp else None
    out["model_id"] = model_id

    mid = send_shell("comm_info_request", {"target_name": "jupyter.widget"})
    rep = shell_reply(mid)
    out["comm_info_after"] = rep["content"]
    drain(mid)

    # the frontend moves the slider
    mid = comm_msg(model_id, {"method": "update", "state": {"value": 42}, "buffer_paths": []})
    out["update_iopub"] = strip(drain(mid))
    reply, msgs, text, err = execute("s.value")
    out["value_after_update"] = text

    # binary buffers, kernel -> frontend: a custom message and binary state
    payload = bytes(range(256)) + hashlib.sha256(b"neardup").digest()
    reply, msgs, text, err = execute(
        "const bytes = new Uint8Array(Buffer.from('%s', 'hex'));\n"
        "s.send({ kind: 'blob', n: bytes.length }, [bytes]);\n"
        "import { Image } from 'neardup/widgets';\n"
        "const img = new Image({ value: bytes.subarray(0, 100), format: 'png' });" % payload.hex())
    out["k2f"] = [{"msg_type": m["msg_type"], "data": m["content"].get("data"), "buffers": [bytes(b).hex() for b in m.get("buffers", [])]}
                  for m in msgs if m["msg_type"] in ("comm_msg", "comm_open")]
    out["k2f_stderr"] = err
    out["payload_hex"] = payload.hex()

    # binary buffers, frontend -> kernel: a custom message and a state update with buffer_paths
    execute("let got: Uint8Array[] = [];\ns.on('msg:custom', (c, bufs) => { got = bufs; });")
    mid = comm_msg(model_id, {"method": "custom", "content": {"kind": "blob"}}, buffers=[payload, payload[::-1]])
    drain(mid)
    reply, msgs, text, err = execute("Buffer.from(got[0]).toString('hex') + ' ' + Buffer.from(got[1]).toString('hex')")
    out["f2k_custom"] = text.strip()
    reply, msgs, text, err = execute("img.model_id")
    img_id = text.strip().strip("'\"")
    mid = comm_msg(img_id, {"method": "update", "state": {"value": None, "width": "64"}, "buffer_paths": [["value"]]}, buffers=[payload])
    out["f2k_update_iopub"] = strip(drain(mid))
    reply, msgs, text, err = execute("Buffer.from(img.value as Uint8Array).toString('hex') + ' ' + img.width")
    out["f2k_state"] = text.strip()

    # malformed and stray comm messages must leave the kernel alive
    bad = []
    bad.append(comm_msg("no-such-comm", {"method": "update", "state": {"value": 1}}))
    bad.append(send_shell("comm_msg", {"data": {"method": "update"}}))  # no comm_id
    bad.append(comm_msg(model_id, {"method": "update", "state": "not-an-object"}))
    bad.append(comm_msg(model_id, {"method": "no-such-method"}))
    bad.append(comm_msg(model_id, "not-a-dict"))
    bad.append(send_shell("comm_close", {"comm_id": "no-such-comm"}))
    bad.append(send_shell("comm_open", {"comm_id": "x1", "target_name": "no.such.target", "data": {}}))
    for mid in bad:
        drain(mid, timeout=15)
    # raw frames: invalid JSON, bad signature, truncated
    sock = kc.shell_channel.socket
    sock.send_multipart([b"<IDS|MSG>", b"", b"{not json", b"{}", b"{}", b"{}"])
    sock.send_multipart([b"<IDS|MSG>", b"0" * 64, json.dumps({"msg_type": "comm_msg", "msg_id": "x", "session": "s", "username": "u", "date": "", "version": "5.3"}).encode(), b"{}", b"{}", b"{}"])
    sock.send_multipart([b"<IDS|MSG>"])
    time.sleep(1)
    # an oversized comm message (limit lowered for the test through NEARDUP_MAX_COMM_BYTES)
    big = comm_msg(model_id, {"method": "custom", "content": {}}, buffers=[b"\0" * (2 * 1024 * 1024)])
    drain(big)
    reply, msgs, text, err = execute("1 + 1")
    out["alive_after_bad"] = {"status": reply["content"]["status"], "stdout": text}
    reply, msgs, text, err = execute("got.length")
    out["oversized_ignored_got_len"] = text.strip()

    # a frontend message handled while a cell is awaiting: the cell waits for the slider to reach 99
    exec_id = kc.execute("await new Promise<void>((resolve) => s.on('change:value', (c) => { if (c.new === 99) resolve(); }));\n"
                         "console.log('resumed with ' + s.value);")
    time.sleep(2)
    upd_id = comm_msg(model_id, {"method": "update", "state": {"value": 99}, "buffer_paths": []})
    idle, by_parent, end = set(), {}, time.time() + 60
    while idle != {exec_id, upd_id} and time.time() < end:
        m = kc.get_iopub_msg(timeout=60)
        pid = m["parent_header"].get("msg_id")
        by_parent.setdefault(pid, []).append(m["msg_type"] + (":" + m["content"].get("text", "") if m["msg_type"] == "stream" else ""))
        if m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
            idle.add(pid)
    out["await_reply"] = shell_reply(exec_id)["content"]["status"]
    out["await_exec_iopub"] = by_parent.get(exec_id, [])
    out["await_update_iopub"] = by_parent.get(upd_id, [])

    # a throwing widget callback: error shown on the comm message's stderr, kernel alive
    execute("s.on('change:value', () => { throw new Error('boom from callback'); });")
    mid = comm_msg(model_id, {"method": "update", "state": {"value": 7}, "buffer_paths": []})
    msgs = drain(mid)
    out["throwing_callback_stderr"] = "".join(m["content"]["text"] for m in msgs if m.get("msg_type") == "stream")
    reply, msgs, text, err = execute("s.value")
    out["value_after_throwing_callback"] = text.strip()

    # the control comm: a reloaded page asks for every model's state
    ctrl = "ctrl0001"
    mid = send_shell("comm_open", {"comm_id": ctrl, "target_name": "jupyter.widget.control", "data": {}})
    drain(mid)
    mid = comm_msg(ctrl, {"method": "request_states"})
    msgs = drain(mid)
    us = [m for m in msgs if m.get("msg_type") == "comm_msg"]
    if us:
        d = us[0]["content"]["data"]
        out["update_states"] = {"method": d["method"], "ids": sorted(d["states"].keys()),
                                "slider": d["states"].get(model_id), "buffer_paths": d["buffer_paths"],
                                "n_buffers": len(us[0].get("buffers", []))}

    # completion, inspection and interrupt still work
    code = "s.valu"
    out["complete"] = shell_reply(kc.complete(code, len(code)))["content"]
    out["inspect"] = shell_reply(kc.inspect("s.value", 3))["content"]
    msg_id = kc.execute("while (true) {}")
    time.sleep(3)
    km.interrupt_kernel()
    out["interrupt_reply"] = shell_reply(msg_id)["content"]["status"]
    drain(msg_id)
    time.sleep(0.5)  # tslab aborts requests queued within 200 ms of a failed cell
    reply, msgs, text, err = execute("'still ' + 'alive'")
    out["after_interrupt"] = text.strip()
finally:
    print(json.dumps(out))
    kc.stop_channels()
    km.shutdown_kernel(now=False)
