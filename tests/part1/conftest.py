from harness import use_part

use_part('part1-setup')
