# Writes expected.json: each template of this directory rendered by Jinja2 as transformers' apply_chat_template
# renders it (trim_blocks, lstrip_blocks, raise_exception), for a few conversations. Run with /usr/bin/python3
# (Debian's python3-jinja2); ChatTemplateTest compares the gateway's renderer with these outputs.
import glob, json, os
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

class TemplateError(Exception):
    pass

def raise_exception(message):
    raise TemplateError(message)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.globals["raise_exception"] = raise_exception
conversations = {
    "system_user": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "  Hello there  "}],
    "user_assistant_user": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."},
                            {"role": "user", "content": "Tell me more."}],
    "two_users": [{"role": "user", "content": "A"}, {"role": "user", "content": "B"}],
    "late_system": [{"role": "user", "content": "A"}, {"role": "system", "content": "S"}],
}
here = os.path.dirname(os.path.abspath(__file__))
cases = []
for path in sorted(glob.glob(os.path.join(here, "*.jinja"))):
    template = env.from_string(open(path).read())
    for name, messages in conversations.items():
        for agp in (True, False):
            case = {"template": os.path.basename(path), "conversation": name, "messages": messages,
                    "add_generation_prompt": agp, "bos_token": "<s>", "eos_token": "</s>"}
            try:
                case["output"] = template.render(messages=messages, add_generation_prompt=agp, bos_token="<s>",
                                                 eos_token="</s>")
            except TemplateError as e:
                case["error"] = str(e)
            cases.append(case)
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(cases, f, indent=1)
print(len(cases), "cases")
